// tandemctl status: the pair at a glance. The local node comes from its own
// daemons; the peer, the replication link and the configuration comparison
// come from peersync's Cluster service. Whatever cannot be reached is said,
// and the rest is still shown.
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "cli/balancer_view.h"
#include "cli/cluster_view.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/rpc.h"
#include "cli/table.h"
#include "cli/vrrp_view.h"
#include "common/strings.h"

namespace tandem::cli {

namespace pb = tandem::balancer::v1;
namespace ps = tandem::peersync::v1;
namespace v1 = tandem::vrrp::v1;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct BalancerAnswer {
  std::string error;  // empty: reached
  pb::BalancerStatus status;
  pb::ListFrontendsResponse frontends;
  pb::ListBackendsResponse backends;
};

BalancerAnswer fetch_balancer(const Options& o) {
  BalancerAnswer a;
  auto stub = pb::Admin::NewStub(channel_to(o.balancer_socket));
  auto call = [&](auto method, const auto& req, auto* resp) {
    if (!a.error.empty()) return;
    grpc::ClientContext ctx;
    with_deadline(ctx);
    grpc::Status s = ((*stub).*method)(&ctx, req, resp);
    if (!s.ok()) a.error = rpc_error_text("balancer", o.balancer_socket, s);
  };
  call(&pb::Admin::Stub::GetStatus, pb::GetStatusRequest{}, &a.status);
  call(&pb::Admin::Stub::ListFrontends, pb::ListFrontendsRequest{}, &a.frontends);
  call(&pb::Admin::Stub::ListBackends, pb::ListBackendsRequest{}, &a.backends);
  return a;
}

std::string listeners_text(const pb::Frontend& f) {
  std::vector<std::string> v;
  for (const pb::Listener& l : f.listeners())
    v.push_back(cat(l.address(), l.ssl() ? " ssl" : "", l.bound() ? "" : " (not bound)"));
  return v.empty() ? "-" : join(v, ",");
}

void balancer_json(JsonWriter& j, const Options& o, const BalancerAnswer& b) {
  j.begin_object().key("socket").value(o.balancer_socket).key("reachable").value(b.error.empty());
  j.key("error").value(b.error).key("status");
  if (!b.error.empty()) {
    j.null();
  } else {
    const pb::BalancerStatus& s = b.status;
    j.begin_object().key("version").value(s.version()).key("node").value(s.node());
    j.key("instance_id").value(s.instance_id()).key("ready").value(s.ready());
    j.key("not_ready_reason").value(s.not_ready_reason());
    j.key("started_unix_ms").value(static_cast<long long>(s.started_unix_ms()));
    j.key("config_loaded_unix_ms").value(static_cast<long long>(s.config_loaded_unix_ms()));
    j.key("reloads").value(s.reloads()).key("last_reload_error").value(s.last_reload_error());
    j.key("threads").value(s.threads());
    j.key("current_connections").value(static_cast<unsigned long long>(s.current_connections()));
    j.key("total_connections").value(static_cast<unsigned long long>(s.total_connections()));
    j.key("maxconn").value(s.maxconn()).end_object();
  }
  j.key("frontends").begin_array();
  for (const pb::Frontend& f : b.frontends.frontends()) {
    j.begin_object().key("name").value(f.name()).key("mode").value(mode_word(f.mode()));
    j.key("listeners").begin_array();
    for (const pb::Listener& l : f.listeners())
      j.begin_object()
          .key("address")
          .value(l.address())
          .key("ssl")
          .value(l.ssl())
          .key("bound")
          .value(l.bound())
          .end_object();
    j.end_array().key("default_backend").value(f.default_backend());
    j.key("current_sessions").value(static_cast<unsigned long long>(f.counters().current_sessions()));
    j.key("total_sessions").value(static_cast<unsigned long long>(f.counters().total_sessions())).end_object();
  }
  j.end_array().key("backends").begin_array();
  for (const pb::Backend& be : b.backends.backends()) {
    j.begin_object().key("name").value(be.name()).key("mode").value(mode_word(be.mode()));
    j.key("status").value(backend_verdict(be).word);
    j.key("active_up").value(be.active_up()).key("active_total").value(be.active_total());
    j.key("backup_up").value(be.backup_up()).key("backup_total").value(be.backup_total());
    j.key("current_sessions").value(static_cast<unsigned long long>(be.counters().current_sessions())).end_object();
  }
  j.end_array().end_object();
}

}  // namespace

int cmd_status(const Options& o) {
  if (o.command.size() != 1) {
    std::fprintf(stderr, "tandemctl: usage: status\n");
    return kUsage;
  }
  InstancesAnswer vrrp = fetch_instances(o, true);
  BalancerAnswer bal = fetch_balancer(o);
  ClusterAnswer cluster = fetch_cluster(o, true);
  const bool have_cluster = cluster.error.empty();
  const bool color = !o.json && stdout_is_terminal();
  const std::int64_t now = now_ms();

  std::string node = have_cluster ? cluster.resp.local().node() : "";
  if (node.empty() && bal.error.empty()) node = bal.status.node();
  if (node.empty() && vrrp.error.empty()) node = vrrp.resp.router_id();
  if (node.empty()) {
    char host[256] = {};
    node = ::gethostname(host, sizeof host - 1) == 0 && host[0] ? host : "this node";
  }

  std::vector<std::string> problems;
  if (!vrrp.error.empty()) problems.push_back(vrrp.error);
  for (const v1::Instance& i : vrrp.resp.instances())
    if (vrrp_degraded(i)) problems.push_back(cat("vrrp ", i.name(), " is in FAULT: ", i.fault_reason()));
  if (!bal.error.empty()) {
    problems.push_back(bal.error);
  } else {
    if (!bal.status.ready()) problems.push_back(cat("the balancer is not ready: ", bal.status.not_ready_reason()));
    for (const pb::Frontend& f : bal.frontends.frontends())
      for (const pb::Listener& l : f.listeners())
        if (!l.bound()) problems.push_back(cat("frontend ", f.name(), ": ", l.address(), " is not bound"));
    for (const pb::Backend& b : bal.backends.backends()) {
      BackendVerdict v = backend_verdict(b);
      if (v.degraded)
        problems.push_back(v.word == "DOWN" ? cat("backend ", b.name(), " has no server up")
                                            : cat("backend ", b.name(), " has no servers"));
    }
  }
  if (!have_cluster) problems.push_back(cluster.error + ": the peer's state is unknown");
  for (const ps::PeerView& p : cluster.resp.peers())
    for (auto& why : peer_problems(p, link_for(cluster.resp.local(), p))) problems.push_back(std::move(why));
  for (const ps::ConfigDifference& d : cluster.resp.differences())
    problems.push_back(cat("the nodes disagree on ", d.what(), ": ", d.local(), " here, ", d.peer(), " on the peer"));
  const int rc = problems.empty() ? kOk : kDegraded;

  if (o.json) {
    JsonWriter j;
    j.begin_object().key("node").value(node).key("local").begin_object();
    j.key("vrrpd").begin_object().key("socket").value(o.vrrpd_socket).key("reachable").value(vrrp.error.empty());
    j.key("error").value(vrrp.error).key("router_id").value(vrrp.resp.router_id()).key("instances").begin_array();
    for (const v1::Instance& i : vrrp.resp.instances()) instance_json(j, i);
    j.end_array().end_object();
    j.key("balancer");
    balancer_json(j, o, bal);
    j.end_object();
    j.key("peersync").begin_object().key("socket").value(o.peersync_socket).key("reachable").value(have_cluster);
    j.key("error").value(cluster.error).end_object();
    j.key("peers").begin_array();
    for (const ps::PeerView& p : cluster.resp.peers()) peer_json(j, p, link_for(cluster.resp.local(), p));
    j.end_array().key("differences").begin_array();
    for (const ps::ConfigDifference& d : cluster.resp.differences())
      j.begin_object()
          .key("what")
          .value(d.what())
          .key("local")
          .value(d.local())
          .key("peer")
          .value(d.peer())
          .end_object();
    j.end_array().key("degraded").value(rc != kOk).key("problems").begin_array();
    for (const auto& p : problems) j.value(p);
    j.end_array().end_object();
    std::fputs(j.str().c_str(), stdout);
    return rc;
  }

  std::string out = cat("NODE ", node, "\n\nVRRP\n");
  if (!vrrp.error.empty()) {
    append(out, "  ", vrrp.error, '\n');
  }
  Table vt({"NODE", "INSTANCE", "STATE", "PRIORITY", "WHY", "VIPS", "HOLDER"});
  for (const v1::Instance& i : vrrp.resp.instances())
    vt.add({node, i.name(), colored(vrrp_state_word(i.state()), color), cat(i.effective_priority()), priority_why(i),
            vips_text(i), vip_holder(i, node)});
  for (const ps::PeerView& p : cluster.resp.peers())
    for (const v1::Instance& i : p.status().vrrp_instances())
      vt.add({p.node(), i.name(), colored(vrrp_state_word(i.state()), color), cat(i.effective_priority()),
              priority_why(i), vips_text(i), vip_holder(i, p.node())});
  if (vrrp.error.empty() || !cluster.resp.peers().empty()) out += vt.render();

  out += "\nBALANCER\n";
  if (!bal.error.empty()) {
    append(out, "  ", bal.error, '\n');
  } else {
    const pb::BalancerStatus& s = bal.status;
    append(out, "  ", colored(s.ready() ? "ready" : "NOT READY", color),
           s.ready() ? "" : cat(" (", s.not_ready_reason(), ')'), ", ", s.threads(),
           s.threads() == 1 ? " thread, " : " threads, ", s.current_connections(), " connections, up ",
           duration_text(now - s.started_unix_ms()), ", ", s.reloads(), s.reloads() == 1 ? " reload" : " reloads",
           s.last_reload_error().empty() ? "" : cat(" (last failed: ", s.last_reload_error(), ')'), "\n\n");
    Table ft({"FRONTEND", "MODE", "LISTENERS", "SESSIONS", "DEFAULT BACKEND"});
    for (const pb::Frontend& f : bal.frontends.frontends())
      ft.add({f.name(), mode_word(f.mode()), listeners_text(f), cat(f.counters().current_sessions()),
              f.default_backend().empty() ? "-" : f.default_backend()});
    out += ft.render();
    out += '\n';
    Table bt({"BACKEND", "NODE", "SERVERS", "BACKUP", "STATUS"});
    for (const pb::Backend& b : bal.backends.backends())
      bt.add({b.name(), node, cat(b.active_up(), '/', b.active_total()), cat(b.backup_up(), '/', b.backup_total()),
              colored(backend_verdict(b).word, color)});
    for (const ps::PeerView& p : cluster.resp.peers())
      for (const ps::BackendSummary& b : p.status().backends())
        bt.add({b.name(), p.node(), cat(b.servers_up(), '/', b.servers_total()), "-",
                colored(b.servers_total() == 0 ? "no servers"
                        : b.servers_up() == 0  ? "DOWN"
                                               : "UP",
                        color)});
    out += bt.render();
  }

  out += "\nPEERS\n";
  if (!have_cluster) {
    append(out, "  ", cluster.error, ": the peer's state is unknown\n");
  } else if (cluster.resp.peers().empty()) {
    out += "  no peer configured\n";
  } else {
    Table pt({"PEER", "ADDRESS", "REACHABLE", "SYNC", "LAG", "BALANCER", "VRRPD"});
    for (const ps::PeerView& p : cluster.resp.peers()) {
      const ps::PeerLink* link = link_for(cluster.resp.local(), p);
      std::string lag = link ? cat(lag_entries(*link)) : "-";
      if (link && lag_entries(*link)) append(lag, " (", duration_text(lag_ms(*link)), ')');
      const ps::NodeStatus& st = p.status();
      pt.add({p.node(), p.address(), colored(p.reachable() ? "yes" : "unreachable", color),
              colored(link ? sync_state_word(link->state()) : "-", color), lag,
              !p.has_status()           ? "-"
              : st.balancer_reachable() ? st.balancer_health()
                                        : "unreachable",
              !p.has_status()        ? "-"
              : st.vrrpd_reachable() ? "ok"
                                     : "unreachable"});
    }
    out += pt.render();
    out += "\nCONFIGURATION\n";
    if (cluster.resp.differences().empty()) {
      out += "  the nodes' configurations agree\n";
    } else {
      Table dt({"DIFFERENCE", "HERE", "PEER"});
      for (const ps::ConfigDifference& d : cluster.resp.differences()) dt.add({d.what(), d.local(), d.peer()});
      out += dt.render();
    }
  }
  if (problems.empty()) {
    append(out, '\n', colored("ok", color), ": all is well\n");
  } else {
    append(out, '\n', colored("DEGRADED", color), ":\n");
    for (const auto& p : problems) append(out, "  - ", p, '\n');
  }
  std::fputs(out.c_str(), stdout);
  return rc;
}

}  // namespace tandem::cli
