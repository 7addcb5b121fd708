#pragma once
// Table definitions compared between nodes: a table replicates only when both
// sides declare it with the same key and the same stored data; anything else
// is an explicit mismatch, shown in status, never a silent skip.

#include <string>
#include <vector>

#include "peersync/replication/sync_types.h"

namespace tandem::peersync {

// "type ip store server_id,http_req_rate(10000ms)", for messages.
std::string describe(const TableSchema& t);

// Tables declared on one side only, or differently on the two, by name
// (sorted). `local` and `remote` are the tables each side replicates.
std::vector<SchemaMismatch> compare_schemas(const std::vector<TableSchema>& local,
                                            const std::vector<TableSchema>& remote);

}  // namespace tandem::peersync
