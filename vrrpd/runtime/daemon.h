#pragma once
// The whole of tandem-vrrpd at run time: its instances (VirtualRouter), the
// trackers they share (vrrp_script, interfaces, track_balancer), the VRRP
// sockets per interface, sync groups, reload and the admin view. Every
// kernel-facing piece is injected, so that unit tests run it on fakes.

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "vrrpd/netlink/accept_filter.h"
#include "vrrpd/runtime/prepare.h"
#include "vrrpd/runtime/virtual_router.h"
#include "vrrpd/track/balancer_tracker.h"
#include "vrrpd/track/script_check.h"

namespace tandem::vrrpd::runtime {

using SocketFactory =
    std::function<Result<std::unique_ptr<socket::AdvertSocket>>(const std::string& ifname, int ifindex, bool ipv6)>;

struct DaemonDeps {
  asio::io_context& io;
  const Clock& clock;
  netlink::LinkMonitor& links;
  netlink::AddressTable& addresses;
  netlink::AcceptFilter& accept_filter;
  arp::Announcer& announcer;
  track::ScriptRunner& runner;
  track::Prober& prober;
  track::HealthWatchFactory watch_factory;
  SocketFactory open_socket;
};

class Daemon {
 public:
  Daemon(DaemonDeps deps, Prepared prepared);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Removes VIPs a crashed predecessor left behind, starts the trackers, and
  // starts each instance once its trackers have a first verdict (after
  // vrrp_startup_delay).
  void start();
  // Every instance stops: a master sends priority 0 and removes its VIPs.
  void stop();
  // Applies a new configuration: instances whose configuration (and scripts)
  // did not change keep running untouched; those whose identity (interface,
  // VRID, version, VIPs, sync group) did not change are updated in place with
  // no transition; the others restart; new ones start, removed ones stop.
  void reload(Prepared prepared);
  // Hands the VIPs of `instance` (every MASTER instance when empty) to the
  // peer. Returns the instances released.
  Result<std::vector<std::string>> failover(const std::string& instance);

  Status status() const;
  void subscribe(std::function<void(const Event&)> f) { listeners_.push_back(std::move(f)); }
  bool notify_idle() const { return notify_.idle(); }

 private:
  struct Member {
    std::unique_ptr<VirtualRouter> router;
    std::unique_ptr<track::BalancerTracker> balancer;
  };
  using SocketKey = std::pair<std::string, bool>;  // interface, IPv6
  struct SocketSlot {
    std::unique_ptr<socket::AdvertSocket> socket;
    int ifindex = 0;
  };

  void build(Prepared prepared, const std::set<std::string>& keep);
  void add_instance(const config::Instance& cfg);
  std::unique_ptr<track::BalancerTracker> make_balancer_tracker(const config::Instance& cfg);
  bool trackers_known(const Member& m) const;
  void on_link(const netlink::LinkInfo& link);
  void open_sockets();
  void dispatch(const SocketKey& key, const packet::Received& rx);
  void recompute();
  std::vector<track::TrackerInput> trackers_of(const Member& m) const;
  void maybe_start();
  void on_transition(VirtualRouter& r, const TransitionRecord& rec);
  void emit(const Event& e);
  void remove_leftovers();
  void apply_accept_filter();

  DaemonDeps deps_;
  Prepared prepared_;
  NotifyQueue notify_;
  std::map<std::string, std::unique_ptr<track::ScriptCheck>> scripts_;
  std::map<std::string, Member> members_;  // by instance name
  std::map<SocketKey, SocketSlot> sockets_;
  std::map<std::string, std::string> group_state_;  // sync group -> last state notified
  asio::steady_timer startup_;
  bool startup_done_ = false;
  bool running_ = false;
  bool syncing_ = false;  // a sync group is moving its members: no recursion
  std::vector<std::function<void(const Event&)>> listeners_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tandem::vrrpd::runtime
