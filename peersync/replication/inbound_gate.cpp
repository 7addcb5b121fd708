#include "peersync/replication/inbound_gate.h"

#include <algorithm>

#include "common/strings.h"

namespace tandem::peersync {

Result<void> admit_peer(std::string_view node, const std::vector<std::string>& configured_peers, bool tls,
                        const std::vector<std::string>& certificate_names) {
  if (node.empty()) return fail("Hello without a node name");
  if (std::find(configured_peers.begin(), configured_peers.end(), node) == configured_peers.end())
    return fail(cat("'", node, "' is not a configured peer"));
  if (!tls) return {};
  if (std::find(certificate_names.begin(), certificate_names.end(), node) == certificate_names.end()) {
    std::string names;
    for (const auto& n : certificate_names) names += names.empty() ? n : cat(", ", n);
    return fail(cat("the certificate names ", names.empty() ? "nothing" : names, ", not '", node, "'"));
  }
  return {};
}

InboundGate::InboundGate(std::string peer, std::set<std::string> tables, InboundLimits limits)
    : peer_(std::move(peer)), tables_(tables.begin(), tables.end()), limits_(limits) {}

Result<void> InboundGate::check(const BatchView& b) {
  if (b.batch_id <= last_batch_) return fail(cat("batch ", b.batch_id, " after batch ", last_batch_));
  if (b.entries.size() > limits_.max_entries_per_batch)
    return fail(
        cat("batch ", b.batch_id, " has ", b.entries.size(), " entries, more than ", limits_.max_entries_per_batch));
  if (!b.cursor.empty()) {
    if (last_cursor_.instance_id == b.cursor.instance_id && b.cursor.seq < last_cursor_.seq)
      return fail(cat("batch ", b.batch_id, " goes back from seq ", last_cursor_.seq, " to ", b.cursor.seq));
  }
  for (size_t i = 0; i < b.entries.size(); ++i) {
    const EntryView& e = b.entries[i];
    if (!tables_.contains(e.table))
      return fail(cat("batch ", b.batch_id, " entry ", i, ": table '", e.table, "' is not replicated with ", peer_));
    if (e.origin_node.empty()) return fail(cat("batch ", b.batch_id, " entry ", i, ": no origin node"));
    if (e.key_bytes > limits_.max_key_bytes)
      return fail(cat("batch ", b.batch_id, " entry ", i, ": key of ", e.key_bytes, " bytes"));
  }
  last_batch_ = b.batch_id;
  if (!b.cursor.empty()) last_cursor_ = b.cursor;
  return {};
}

}  // namespace tandem::peersync
