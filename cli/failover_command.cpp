// tandemctl failover [--wait-synced] [--timeout S] [INSTANCE]: hands this
// node's MASTER instances to the peer through vrrpd's Failover, and waits
// until the peer is heard as master. vrrpd hands over make-before-break: a
// priority 0 advertisement (RFC 5798 §6.4.3) makes the peer take over after
// its Skew_Time, and this node keeps the VIPs until the peer's first advert
// (sent once the peer holds them and announced them), so that no moment is
// left without a holder. With --wait-synced it first waits, through peersync,
// until the peer acknowledged every stick-table change, so no client loses
// its server.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "cli/cluster_view.h"
#include "cli/command_args.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/rpc.h"
#include "cli/vrrp_view.h"
#include "common/strings.h"

namespace tandem::cli {

namespace ps = tandem::peersync::v1;
namespace v1 = tandem::vrrp::v1;

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPoll = std::chrono::milliseconds(50);

// Every peer reachable, every link SYNCED both ways with nothing unacknowledged.
bool all_synced(const ps::ClusterStatus& c, std::string& why) {
  if (c.peers().empty()) {
    why = "peersync has no peer";
    return false;
  }
  for (const ps::PeerView& p : c.peers()) {
    const ps::PeerLink* link = link_for(c.local(), p);
    auto problems = peer_problems(p, link);
    if (!problems.empty()) {
      why = problems.front();
      return false;
    }
    if (lag_entries(*link)) {
      why = cat("peer ", p.node(), ": ", lag_entries(*link), " changes not yet acknowledged");
      return false;
    }
  }
  return true;
}

int wait_synced(const Options& o, Clock::time_point deadline) {
  std::string why;
  for (;;) {
    ClusterAnswer a = fetch_cluster(o, true);
    if (!a.error.empty()) {
      std::fprintf(stderr, "tandemctl: failover --wait-synced: %s\n", a.error.c_str());
      return kUsage;
    }
    if (all_synced(a.resp, why)) return kOk;
    if (Clock::now() >= deadline) {
      std::fprintf(stderr, "tandemctl: failover: the peer is not in sync (%s); nothing was handed over\n", why.c_str());
      return kDegraded;
    }
    std::this_thread::sleep_for(kPoll);
  }
}

}  // namespace

int cmd_failover(const Options& o) {
  auto a = parse_command_args(std::span(o.command).subspan(1), {"--timeout"}, {"--wait-synced"});
  if (!a || a->positional.size() > 1) {
    std::fprintf(stderr, "tandemctl: %s%susage: failover [--wait-synced] [--timeout SECONDS] [INSTANCE]\n",
                 a ? "" : a.error().message.c_str(), a ? "" : "; ");
    return kUsage;
  }
  long long timeout_ms = 10000;
  if (const std::string* t = a->value("--timeout")) {
    auto ms = parse_seconds(*t);
    if (!ms) {
      std::fprintf(stderr, "tandemctl: failover --timeout: %s\n", ms.error().message.c_str());
      return kUsage;
    }
    timeout_ms = *ms;
  }
  const std::string instance = a->positional.empty() ? "" : a->positional[0];
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);

  // Nothing is changed unless this node is master of what is asked.
  InstancesAnswer before = fetch_instances(o, false);
  if (before.rc != kOk) return before.rc;
  std::vector<std::string> masters;
  bool known = instance.empty();
  for (const v1::Instance& i : before.resp.instances()) {
    if (!instance.empty() && i.name() != instance) continue;
    known = true;
    if (i.state() == v1::STATE_MASTER) masters.push_back(i.name());
  }
  if (!known) {
    std::fprintf(stderr, "tandemctl: no vrrp_instance named '%s' in the vrrpd at %s\n", instance.c_str(),
                 o.vrrpd_socket.c_str());
    return kUsage;
  }
  if (masters.empty()) {
    std::fprintf(stderr, "tandemctl: failover: %s MASTER on this node: nothing to hand over\n",
                 instance.empty() ? "no vrrp_instance is" : (instance + " is not").c_str());
    return kDegraded;
  }
  if (a->has("--wait-synced")) {
    if (int rc = wait_synced(o, deadline); rc != kOk) return rc;
    if (!o.json) std::printf("peer in sync: every stick-table change acknowledged\n");
  }

  auto stub = v1::Vrrp::NewStub(channel_to(o.vrrpd_socket));
  grpc::ClientContext ctx;
  with_deadline(ctx);
  v1::FailoverRequest req;
  req.set_instance(instance);
  v1::FailoverResponse resp;
  grpc::Status s = stub->Failover(&ctx, req, &resp);
  if (!s.ok()) return report_rpc_error("vrrpd", o.vrrpd_socket, s);
  std::vector<std::string> released(resp.released().begin(), resp.released().end());

  // Handed over means BACKUP here with another node heard as master: vrrpd
  // lets go of the VIPs when it hears the new master. A node alone keeps them
  // a few advert intervals, lets go, and takes them back after
  // Master_Down_Interval.
  std::map<std::string, std::string, std::less<>> new_master;
  for (;;) {
    InstancesAnswer now = fetch_instances(o, true);
    if (now.error.empty())
      for (const v1::Instance& i : now.resp.instances())
        if (std::find(released.begin(), released.end(), i.name()) != released.end() && i.state() == v1::STATE_BACKUP &&
            !i.master_address().empty() && !new_master.contains(i.name()))
          new_master[i.name()] = cat(i.master_address(), " (priority ", i.master_priority(), ')');
    if (new_master.size() == released.size() || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(kPoll);
  }
  int rc = kOk;
  JsonWriter j;
  j.begin_object().key("released").begin_array();
  for (const auto& n : released) j.value(n);
  j.end_array().key("instances").begin_array();
  for (const auto& n : released) {
    auto it = new_master.find(n);
    j.begin_object().key("name").value(n).key("handed_over").value(it != new_master.end());
    j.key("new_master").value(it != new_master.end() ? it->second : "").end_object();
    if (it == new_master.end()) {
      rc = kDegraded;
      if (!o.json)
        std::printf("%s: not handed over: no other master was heard within %s\n", n.c_str(),
                    duration_text(timeout_ms).c_str());
    } else if (!o.json) {
      std::printf("%s: handed over to %s\n", n.c_str(), it->second.c_str());
    }
  }
  j.end_array().end_object();
  if (released.empty()) {
    rc = kDegraded;
    if (!o.json) std::printf("nothing released: no instance was MASTER any more\n");
  }
  if (o.json) std::fputs(j.str().c_str(), stdout);
  return rc;
}

}  // namespace tandem::cli
