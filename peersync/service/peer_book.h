#pragma once
// What this node knows about each configured peer, shared by the outbound
// driver (one thread per peer), the inbound handler (gRPC threads) and the
// status calls. A reload adds and removes peers while those run: entries are
// shared, so a handler or driver keeps the one it holds until it ends.
// Locks: the book's mutex guards the map only; one mutex per entry, always
// taken last (a pump's or stream's own mutex may be held around it), never
// with the book's.

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
  // sent_unix_us of the oldest batch received and not yet applied by the
  // balancer; 0 when everything received is applied.
  std::int64_t unapplied_since_us = 0;
  std::string last_error;
};

// How far behind this node is in applying the peer's changes (PeerLink.inbound_lag_ms).
std::int64_t inbound_lag_ms(const InboundStatus& in, std::int64_t now_unix_us);

struct PeerEntry {
  PeerEntry(const config::Peer& p, LinkTimers t) : name(p.name), peer(p), link(p.name, t) {}
  const std::string name;
  std::mutex mu;
  config::Peer peer;                        // guarded by mu: a reload may change its address
  OutboundLink link;                        // guarded by mu
  InboundStatus inbound;                    // guarded by mu
  std::int64_t last_heartbeat_unix_ms = 0;  // guarded by mu
  std::uint64_t inbound_generation = 0;     // guarded by mu: the newest inbound stream
  bool removed = false;                     // guarded by mu: a reload dropped the peer
};

class PeerBook {
 public:
  PeerBook(const std::vector<config::Peer>& peers, LinkTimers timers);
  std::shared_ptr<PeerEntry> find(const std::string& name) const;
  std::vector<std::string> names() const;
  std::vector<std::shared_ptr<PeerEntry>> all() const;
  void fill(tandem::peersync::v1::NodeStatus* out, SteadyTime now, WallTime wall);

  // ---- Reload ----
  std::shared_ptr<PeerEntry> add(const config::Peer& peer);
  // Forgets `name`; its inbound stream (if any) ends at its next message.
  void remove(const std::string& name);
  // The same peer at another address: its sync state stays.
  void readdress(const config::Peer& peer);

 private:
  const LinkTimers timers_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<PeerEntry>> peers_;
};

}  // namespace tandem::peersync
