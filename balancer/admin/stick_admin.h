#pragma once
// The stick-table parts of tandem.balancer.v1.Admin (ShowTable, ClearTable,
// SetTableEntry), as functions the Admin service delegates to: keys as text
// (parse_key_text), DataFilter as HAProxy's `show table T data.X op V`.
// Each returns the gRPC status the call should end with.

#include <grpcpp/support/status.h>

#include "balancer/stick/stick_registry.h"
#include "tandem/balancer/v1/admin.pb.h"

namespace tandem::balancer::admin {

// One key, or every entry (stopping at `limit`, then `truncated`); rates are
// reported as their current rate in StickDatum.value (and their state).
grpc::Status show_table(stick::StickRegistry& registry, const tandem::balancer::v1::ShowTableRequest& req,
                        stick::StickNow now, tandem::balancer::v1::ShowTableResponse* resp);

// One key, or every entry; entries in use by a session are kept (HAProxy's
// rule). In a replicated table each removal is replicated as a delete.
grpc::Status clear_table(stick::StickRegistry& registry, const tandem::balancer::v1::ClearTableRequest& req,
                         stick::StickNow now, tandem::balancer::v1::ClearTableResponse* resp);

// Creates or updates one entry: server by name, values as given.
grpc::Status set_table_entry(stick::StickRegistry& registry, const tandem::balancer::v1::SetTableEntryRequest& req,
                             stick::StickNow now, tandem::balancer::v1::StickEntry* resp);

}  // namespace tandem::balancer::admin
