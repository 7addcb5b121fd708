#include "peersync/service/peer_book.h"

#include "peersync/service/proto_convert.h"

namespace tandem::peersync {

PeerBook::PeerBook(const std::vector<config::Peer>& peers, LinkTimers timers) {
  for (const auto& p : peers) peers_.emplace(p.name, std::make_unique<PeerEntry>(p, timers));
}

PeerEntry* PeerBook::find(const std::string& name) {
  auto it = peers_.find(name);
  return it == peers_.end() ? nullptr : it->second.get();
}

std::vector<std::string> PeerBook::names() const {
  std::vector<std::string> out;
  for (const auto& [n, p] : peers_) out.push_back(n);
  return out;
}

std::vector<PeerEntry*> PeerBook::all() {
  std::vector<PeerEntry*> out;
  for (auto& [n, p] : peers_) out.push_back(p.get());
  return out;
}

void PeerBook::fill(tandem::peersync::v1::NodeStatus* out, SteadyTime now) {
  for (auto& [n, p] : peers_) {
    auto* link = out->add_peers();
    std::lock_guard lock(p->mu);
    to_proto(p->link.status(now), link);
    link->set_address(p->peer.address.text());
    link->set_inbound_connected(p->inbound.connected);
    link->set_last_heartbeat_unix_ms(p->last_heartbeat_unix_ms);
  }
}

}  // namespace tandem::peersync
