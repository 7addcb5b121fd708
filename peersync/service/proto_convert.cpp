#include "peersync/service/proto_convert.h"

#include <set>

#include "common/strings.h"
#include "peersync/replication/entry_wire.h"

namespace tandem::peersync {

namespace bpb = tandem::balancer::v1;
namespace ppb = tandem::peersync::v1;

Cursor from_proto(const bpb::Cursor& c) { return Cursor{c.instance_id(), c.seq()}; }

bpb::Cursor to_proto(const Cursor& c) {
  bpb::Cursor out;
  out.set_instance_id(c.instance_id);
  out.set_seq(c.seq);
  return out;
}

TableSchema from_proto(const bpb::StickTableDef& d) {
  TableSchema t{d.name(), static_cast<int>(d.key_type()), d.key_len(), {}, d.entries()};
  for (const auto& x : d.data()) t.data.push_back({static_cast<int>(x.type()), x.period_ms()});
  return t;
}

std::vector<TableSchema> replicated(const google::protobuf::RepeatedPtrField<bpb::StickTableDef>& defs) {
  std::vector<TableSchema> out;
  for (const auto& d : defs)
    if (!d.peers().empty()) out.push_back(from_proto(d));
  return out;
}

BatchSummary summarize(const ppb::WatchBatchWire& b) {
  BatchSummary s{from_proto(b.cursor()), b.snapshot_begin(), b.snapshot_end(), {}};
  // Batches are mostly of one table: count runs, not one map lookup per entry.
  std::string_view run;
  std::uint64_t n = 0;
  for (const auto& e : b.entries()) {
    const std::string_view t = entry_table(e);
    if (n && run == t) {
      ++n;
      continue;
    }
    if (n) s.entries_per_table[std::string(run)] += n;
    run = t;
    n = 1;
  }
  if (n) s.entries_per_table[std::string(run)] += n;
  return s;
}

Result<BatchView> view_of(const ppb::Batch& b) {
  BatchView v{b.batch_id(), from_proto(b.cursor()), b.snapshot_begin(), b.snapshot_end(), {}};
  v.entries.reserve(b.entries_size());
  for (int i = 0; i < b.entries_size(); ++i) {
    auto f = scan_entry(b.entries(i));
    if (!f) return fail(cat("batch ", b.batch_id(), " entry ", i, ": malformed: ", f.error().message));
    v.entries.push_back({f->table, f->origin_node, f->key_bytes});
  }
  return v;
}

void to_proto(const LinkStatus& s, ppb::PeerLink* out) {
  out->set_peer(s.peer);
  out->set_state(static_cast<ppb::SyncState>(s.state));
  out->set_reason(s.reason);
  for (const auto& t : s.tables) {
    auto* o = out->add_tables();
    o->set_table(t.table);
    o->set_state(static_cast<ppb::SyncState>(t.state));
    o->set_reason(t.reason);
    o->set_lag_entries(t.lag_entries);
    o->set_lag_ms(t.lag_ms);
    o->set_resync_done(t.resync_done);
    o->set_resync_total(t.resync_total);
  }
}

std::vector<std::string> peer_name_problems(const tandem::balancer::v1::ListTablesResponse& lt, const std::string& node,
                                            const std::vector<std::string>& peers) {
  std::vector<PeersSectionView> sections;
  for (const auto& ps : lt.peers_sections())
    sections.push_back({ps.name(), {ps.peers().begin(), ps.peers().end()}, ps.disabled()});
  std::set<std::string> used;
  for (const auto& d : lt.tables())
    if (!d.peers().empty()) used.insert(d.peers());
  return compare_peer_names(node, peers, sections, used);
}

}  // namespace tandem::peersync
