#include "peersync/service/peer_book.h"

#include <algorithm>

#include "peersync/service/proto_convert.h"

namespace tandem::peersync {

PeerBook::PeerBook(const std::vector<config::Peer>& peers, LinkTimers timers) : timers_(timers) {
  for (const auto& p : peers) peers_.emplace(p.name, std::make_shared<PeerEntry>(p, timers));
}

std::shared_ptr<PeerEntry> PeerBook::find(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = peers_.find(name);
  return it == peers_.end() ? nullptr : it->second;
}

std::vector<std::string> PeerBook::names() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [n, p] : peers_) out.push_back(n);
  return out;
}

std::vector<std::shared_ptr<PeerEntry>> PeerBook::all() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<PeerEntry>> out;
  for (const auto& [n, p] : peers_) out.push_back(p);
  return out;
}

std::shared_ptr<PeerEntry> PeerBook::add(const config::Peer& peer) {
  auto e = std::make_shared<PeerEntry>(peer, timers_);
  std::lock_guard lock(mu_);
  peers_[peer.name] = e;
  return e;
}

void PeerBook::remove(const std::string& name) {
  std::shared_ptr<PeerEntry> e;
  {
    std::lock_guard lock(mu_);
    auto it = peers_.find(name);
    if (it == peers_.end()) return;
    e = std::move(it->second);
    peers_.erase(it);
  }
  // A stream still open from the peer sees a newer generation and ends.
  std::lock_guard lock(e->mu);
  e->removed = true;
  ++e->inbound_generation;
}

void PeerBook::readdress(const config::Peer& peer) {
  auto e = find(peer.name);
  if (!e) return;
  std::lock_guard lock(e->mu);
  e->peer = peer;
}

std::int64_t inbound_lag_ms(const InboundStatus& in, std::int64_t now_unix_us) {
  if (in.unapplied_since_us == 0) return 0;
  return std::max<std::int64_t>(0, (now_unix_us - in.unapplied_since_us) / 1000);
}

void PeerBook::fill(tandem::peersync::v1::NodeStatus* out, SteadyTime now, WallTime wall) {
  const std::int64_t wall_us = std::chrono::duration_cast<std::chrono::microseconds>(wall.time_since_epoch()).count();
  for (const auto& p : all()) {
    auto* link = out->add_peers();
    std::lock_guard lock(p->mu);
    to_proto(p->link.status(now), link);
    link->set_address(p->peer.address.text());
    link->set_inbound_connected(p->inbound.connected);
    link->set_last_heartbeat_unix_ms(p->last_heartbeat_unix_ms);
    link->set_inbound_lag_ms(p->inbound.connected ? inbound_lag_ms(p->inbound, wall_us) : 0);
  }
}

}  // namespace tandem::peersync
