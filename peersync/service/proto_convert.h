#pragma once
// tandem.balancer.v1 / tandem.peersync.v1 messages <-> the core's plain values.

#include <vector>

#include "peersync/replication/inbound_gate.h"
#include "peersync/replication/outbound_link.h"
#include "peersync/replication/peer_names.h"
#include "tandem/balancer/v1/stick_tables.pb.h"
#include "tandem/peersync/v1/peersync.pb.h"
#include "tandem/peersync/v1/wire.pb.h"

namespace tandem::peersync {

Cursor from_proto(const tandem::balancer::v1::Cursor& c);
tandem::balancer::v1::Cursor to_proto(const Cursor& c);
TableSchema from_proto(const tandem::balancer::v1::StickTableDef& d);
// The replicated tables (those with a `peers` section) of a ListTables answer.
std::vector<TableSchema> replicated(
    const google::protobuf::RepeatedPtrField<tandem::balancer::v1::StickTableDef>& defs);
// Entries counted per table (the balancer's own bytes, trusted).
BatchSummary summarize(const tandem::peersync::v1::WatchBatchWire& b);
// What the gate checks; an entry that is not a well-formed StickEntry
// (scan_entry) is an error naming it.
Result<BatchView> view_of(const tandem::peersync::v1::Batch& b);
void to_proto(const LinkStatus& s, tandem::peersync::v1::PeerLink* out);
// compare_peer_names (peer_names.h) on a ListTables answer.
std::vector<std::string> peer_name_problems(const tandem::balancer::v1::ListTablesResponse& lt, const std::string& node,
                                            const std::vector<std::string>& peers);

}  // namespace tandem::peersync
