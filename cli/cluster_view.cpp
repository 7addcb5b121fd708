#include "cli/cluster_view.h"

#include <algorithm>

#include "cli/rpc.h"
#include "cli/vrrp_view.h"
#include "common/strings.h"

namespace tandem::cli {

namespace ps = tandem::peersync::v1;

std::string sync_state_word(ps::SyncState s) {
  switch (s) {
    case ps::SYNC_STATE_CONNECTING:
      return "CONNECTING";
    case ps::SYNC_STATE_SYNCING:
      return "SYNCING";
    case ps::SYNC_STATE_SYNCED:
      return "SYNCED";
    case ps::SYNC_STATE_DEGRADED:
      return "DEGRADED";
    default:
      return "?";
  }
}

const ps::PeerLink* link_for(const ps::NodeStatus& local, const ps::PeerView& peer) {
  for (const ps::PeerLink& l : local.peers())
    if (!peer.node().empty() && l.peer() == peer.node()) return &l;
  for (const ps::PeerLink& l : local.peers())
    if (!peer.address().empty() && l.address() == peer.address()) return &l;
  return nullptr;
}

std::uint64_t lag_entries(const ps::PeerLink& link) {
  std::uint64_t n = 0;
  for (const ps::TableSync& t : link.tables()) n += t.lag_entries();
  return n;
}

std::int64_t lag_ms(const ps::PeerLink& link) {
  std::int64_t m = 0;
  for (const ps::TableSync& t : link.tables()) m = std::max(m, t.lag_ms());
  return m;
}

std::vector<std::string> peer_problems(const ps::PeerView& peer, const ps::PeerLink* link) {
  std::vector<std::string> out;
  const std::string who = cat("peer ", peer.node().empty() ? "?" : peer.node(), " (", peer.address(), ')');
  if (!peer.reachable()) out.push_back(cat(who, " is unreachable", peer.error().empty() ? "" : ": ", peer.error()));
  if (!link) {
    out.push_back(cat(who, ": no replication link"));
    return out;
  }
  if (link->state() != ps::SYNC_STATE_SYNCED)
    out.push_back(cat(who, ": replication ", sync_state_word(link->state()), link->reason().empty() ? "" : " (",
                      link->reason(), link->reason().empty() ? "" : ")"));
  if (!link->inbound_connected()) out.push_back(cat(who, ": its stream to this node is down"));
  for (const ps::TableSync& t : link->tables())
    if (t.state() != ps::SYNC_STATE_SYNCED)
      out.push_back(cat(who, ": table ", t.table(), ' ', sync_state_word(t.state()), t.reason().empty() ? "" : " (",
                        t.reason(), t.reason().empty() ? "" : ")"));
  return out;
}

namespace {

void node_status_json(JsonWriter& j, const ps::NodeStatus& s) {
  j.begin_object().key("node").value(s.node()).key("version").value(s.version());
  j.key("unix_ms").value(static_cast<long long>(s.unix_ms()));
  j.key("balancer").begin_object().key("reachable").value(s.balancer_reachable());
  j.key("health").value(s.balancer_health()).key("instance_id").value(s.balancer_instance_id()).end_object();
  j.key("backends").begin_array();
  for (const ps::BackendSummary& b : s.backends())
    j.begin_object()
        .key("name")
        .value(b.name())
        .key("servers_up")
        .value(b.servers_up())
        .key("servers_total")
        .value(b.servers_total())
        .end_object();
  j.end_array();
  j.key("vrrpd").begin_object().key("reachable").value(s.vrrpd_reachable()).key("error").value(s.vrrpd_error());
  j.end_object();
  j.key("vrrp_instances").begin_array();
  for (const auto& i : s.vrrp_instances()) instance_json(j, i);
  j.end_array().end_object();
}

}  // namespace

void peer_json(JsonWriter& j, const ps::PeerView& peer, const ps::PeerLink* link) {
  j.begin_object().key("node").value(peer.node()).key("address").value(peer.address());
  j.key("reachable").value(peer.reachable()).key("error").value(peer.error());
  j.key("synced").value(peer_problems(peer, link).empty());
  j.key("link");
  if (!link) {
    j.null();
  } else {
    j.begin_object().key("state").value(sync_state_word(link->state())).key("reason").value(link->reason());
    j.key("inbound_connected").value(link->inbound_connected());
    j.key("inbound_lag_ms").value(static_cast<long long>(link->inbound_lag_ms()));
    j.key("last_heartbeat_unix_ms").value(static_cast<long long>(link->last_heartbeat_unix_ms()));
    j.key("lag_entries").value(static_cast<unsigned long long>(lag_entries(*link)));
    j.key("lag_ms").value(static_cast<long long>(lag_ms(*link)));
    j.key("tables").begin_array();
    for (const ps::TableSync& t : link->tables()) {
      j.begin_object().key("table").value(t.table()).key("state").value(sync_state_word(t.state()));
      j.key("reason").value(t.reason()).key("lag_entries").value(static_cast<unsigned long long>(t.lag_entries()));
      j.key("lag_ms").value(static_cast<long long>(t.lag_ms()));
      j.key("resync_done").value(static_cast<unsigned long long>(t.resync_done()));
      j.key("resync_total").value(static_cast<unsigned long long>(t.resync_total())).end_object();
    }
    j.end_array().end_object();
  }
  j.key("status");
  if (peer.has_status())
    node_status_json(j, peer.status());
  else
    j.null();
  j.end_object();
}

ClusterAnswer fetch_cluster(const Options& o, bool quiet) {
  auto stub = ps::Cluster::NewStub(channel_to(o.peersync_socket));
  grpc::ClientContext ctx;
  with_deadline(ctx);
  ClusterAnswer a;
  grpc::Status s = stub->GetClusterStatus(&ctx, {}, &a.resp);
  if (!s.ok()) {
    a.error = rpc_error_text("peersync", o.peersync_socket, s);
    a.rc = quiet ? rpc_error_status(o.peersync_socket, s) : report_rpc_error("peersync", o.peersync_socket, s);
  }
  return a;
}

}  // namespace tandem::cli
