#pragma once
// The receiving direction from one peer: what may reach this node's balancer.
// Every check runs before anything is applied, so a refused Hello or batch
// changes nothing; the driver then ends the stream with the error.

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "peersync/replication/sync_types.h"

namespace tandem::peersync {

struct InboundLimits {
  std::size_t max_entries_per_batch = 16384;
  std::size_t max_key_bytes = 1024;
};

// Who may open a Replicate stream: `node` (from its Hello) must be a
// configured peer and, with TLS, one of the names its certificate carries
// (SAN entries, or the CN).
Result<void> admit_peer(std::string_view node, const std::vector<std::string>& configured_peers, bool tls,
                        const std::vector<std::string>& certificate_names);

// One entry of a batch, as much as the gate looks at.
struct EntryView {
  std::string_view table;
  std::string_view origin_node;
  std::size_t key_bytes = 0;
};

struct BatchView {
  std::uint64_t batch_id = 0;
  Cursor cursor;
  bool snapshot_begin = false;
  bool snapshot_end = false;
  std::vector<EntryView> entries;
};

class InboundGate {
 public:
  // `tables`: the tables both sides agree on (the others were reported in the
  // Welcome's mismatches).
  InboundGate(std::string peer, std::set<std::string> tables, InboundLimits limits);

  // Checks a batch before it is applied: batch ids increase, cursors belong
  // to one instance and never go back, sizes are bounded, and every entry
  // names an agreed table and an origin.
  Result<void> check(const BatchView& b);

 private:
  std::string peer_;
  std::set<std::string, std::less<>> tables_;
  InboundLimits limits_;
  std::uint64_t last_batch_ = 0;
  Cursor last_cursor_;
};

}  // namespace tandem::peersync
