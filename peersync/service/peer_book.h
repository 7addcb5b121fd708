#pragma once
// What this node knows about each configured peer, shared by the outbound
// driver (one thread per peer), the inbound handler (gRPC threads) and the
// status calls. One mutex per peer; nothing holds two.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "peersync/config/model.h"
#include "peersync/replication/outbound_link.h"
#include "tandem/peersync/v1/peersync.pb.h"

namespace tandem::peersync {

struct InboundStatus {
  bool connected = false;
  std::uint64_t sessions = 0;
  std::uint64_t batches = 0;
  std::uint64_t entries = 0;
  std::int64_t last_unix_ms = 0;  // the last message received
  std::int64_t lag_ms = 0;        // sent_unix_us of the last batch to its ack here
  std::string last_error;
};

struct PeerEntry {
  PeerEntry(const config::Peer& p, LinkTimers t) : peer(p), link(p.name, t) {}
  const config::Peer peer;
  std::mutex mu;
  OutboundLink link;                        // guarded by mu
  InboundStatus inbound;                    // guarded by mu
  std::int64_t last_heartbeat_unix_ms = 0;  // guarded by mu
  std::uint64_t inbound_generation = 0;     // guarded by mu: the newest inbound stream
};

class PeerBook {
 public:
  PeerBook(const std::vector<config::Peer>& peers, LinkTimers timers);
  PeerEntry* find(const std::string& name);
  std::vector<std::string> names() const;
  std::vector<PeerEntry*> all();
  void fill(tandem::peersync::v1::NodeStatus* out, SteadyTime now);

 private:
  std::map<std::string, std::unique_ptr<PeerEntry>> peers_;
};

}  // namespace tandem::peersync
