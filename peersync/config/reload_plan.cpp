#include "peersync/config/reload_plan.h"

#include "common/strings.h"

namespace tandem::peersync::config {

namespace {

const Peer* find_peer(const std::vector<Peer>& peers, const std::string& name) {
  for (const Peer& p : peers)
    if (p.name == name) return &p;
  return nullptr;
}

std::string or_none(const std::string& s) { return s.empty() ? "(default)" : s; }

}  // namespace

ReloadPlan plan_reload(const Config& running, const Config& next, bool tls_material_changed) {
  ReloadPlan plan;
  plan.effective = next;
  Config& eff = plan.effective;
  // Settings the process is built around: the node name is the origin of
  // every entry and what the peer's certificate check expects; the sockets
  // and the peer port are claimed once at start (the admin socket also
  // answers this very reload).
  auto keep = [&](bool differs, std::string_view what, const std::string& was, const std::string& now) {
    if (!differs) return;
    plan.kept.push_back(cat(what, ": changed (", was, " -> ", now, "); takes effect when tandem-peersync restarts"));
  };
  keep(next.node != running.node, "node", running.node, next.node);
  eff.node = running.node;
  keep(!(next.listen == running.listen), "listen", running.listen.text(), next.listen.text());
  eff.listen = running.listen;
  keep(next.admin_socket != running.admin_socket, "admin-socket", or_none(running.admin_socket),
       or_none(next.admin_socket));
  eff.admin_socket = running.admin_socket;
  keep(next.balancer_socket != running.balancer_socket, "balancer-socket", running.balancer_socket,
       next.balancer_socket);
  eff.balancer_socket = running.balancer_socket;
  keep(next.vrrpd_socket != running.vrrpd_socket, "vrrpd-socket", running.vrrpd_socket, next.vrrpd_socket);
  eff.vrrpd_socket = running.vrrpd_socket;
  // A peer named like the node kept running would be refused by the parser
  // only against the file's own node: check it against the running name.
  std::vector<Peer> peers;
  for (const Peer& p : next.peers) {
    if (p.name == eff.node) {
      plan.kept.push_back(cat(p.where, ": peer: '", p.name, "' is this node's running name; not added"));
      continue;
    }
    peers.push_back(p);
  }
  eff.peers = peers;

  plan.tls_changed = tls_material_changed || next.tls.enabled != running.tls.enabled ||
                     next.tls.cert != running.tls.cert || next.tls.key != running.tls.key ||
                     next.tls.ca != running.tls.ca;
  for (const Peer& p : eff.peers) {
    const Peer* was = find_peer(running.peers, p.name);
    if (!was) plan.added.push_back(p);
    else if (!(was->address == p.address)) plan.readdressed.push_back(p);
  }
  for (const Peer& p : running.peers)
    if (!find_peer(eff.peers, p.name)) plan.removed.push_back(p.name);
  return plan;
}

}  // namespace tandem::peersync::config
