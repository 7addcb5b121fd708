#pragma once
// One vrrp_instance at run time: the driver around its state machine. It
// feeds the machine (checked adverts, timers, the trackers' verdict) and
// carries out what the machine returns: adverts on the shared VRRP socket,
// VIPs through netlink, gratuitous ARP/NA, notify scripts. Everything runs on
// the control io_context.

#include <array>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "common/log.h"
#include "vrrpd/arp/announcer.h"
#include "vrrpd/config/model.h"
#include "vrrpd/fsm/state_machine.h"
#include "vrrpd/netlink/address_table.h"
#include "vrrpd/netlink/link_monitor.h"
#include "vrrpd/packet/receive_check.h"
#include "vrrpd/runtime/notify_queue.h"
#include "vrrpd/runtime/status.h"
#include "vrrpd/socket/advert_socket.h"
#include "vrrpd/track/priority.h"

namespace tandem::vrrpd::runtime {

struct RouterDeps {
  asio::io_context& io;
  const Clock& clock;
  const netlink::LinkMonitor& links;
  netlink::AddressTable& addresses;
  arp::Announcer& announcer;
  NotifyQueue& notify;
};

// notify_* commands, with users resolved.
struct NotifyRequests {
  std::optional<track::RunRequest> master, backup, fault, stop, any;
};

class VirtualRouter {
 public:
  using TransitionHook = std::function<void(VirtualRouter&, const TransitionRecord&)>;

  VirtualRouter(RouterDeps deps, const config::Instance& cfg, NotifyRequests notify, TransitionHook hook);
  ~VirtualRouter();
  VirtualRouter(const VirtualRouter&) = delete;
  VirtualRouter& operator=(const VirtualRouter&) = delete;

  const config::Instance& config() const { return cfg_; }
  const std::string& name() const { return cfg_.name; }

  // The socket of its interface and family (shared with other instances);
  // nullptr while the interface is missing.
  void attach(socket::AdvertSocket* socket) { socket_ = socket; }
  // Its interface changed (addresses: the source of adverts).
  void on_link(const netlink::LinkInfo& link);
  // A packet with this instance's VRID arrived on its interface.
  void on_packet(const packet::Received& rx);
  // A packet for a VRID nobody here serves arrived on its interface.
  void count_foreign(const packet::Received& rx);
  // The trackers' combined verdict.
  void set_health(const track::Effective& e);

  void start();
  void stop();
  // A reload that keeps this instance's identity (config::same_identity):
  // new parameters, notify scripts and authentication, the state kept.
  void reconfigure(const config::Instance& cfg, NotifyRequests notify);
  bool failover();  // true when it was master and handed over
  void sync_to(fsm::State state, std::string reason);

  bool started() const { return started_; }
  fsm::State state() const { return fsm_.state(); }
  const track::Effective& health() const { return health_; }
  InstanceStatus status() const;
  // Every VIP with its interface resolved (those whose interface is missing are skipped).
  std::vector<netlink::VipAssignment> assignments() const;

 private:
  void run(std::vector<fsm::Action> actions);
  void execute(const fsm::Action& a);
  void send_advert(std::uint8_t priority);
  void set_vips(bool add);
  void announce(int repeat);
  void transition(const fsm::Transition& t);
  void arm(fsm::Timer t, SteadyTime at);
  void drop(const packet::Received& rx, packet::DropReason why);

  RouterDeps deps_;
  config::Instance cfg_;
  NotifyRequests notify_;
  TransitionHook hook_;
  fsm::StateMachine fsm_;
  packet::LocalView view_;
  socket::AdvertSocket* socket_ = nullptr;
  std::array<std::unique_ptr<asio::steady_timer>, fsm::kTimerCount> timers_;
  IpAddress source_;
  track::Effective health_;
  bool started_ = false;
  bool vips_held_ = false;
  Counters counters_;
  std::deque<TransitionRecord> recent_;
  WallTime state_since_;
  log::RateLimit drop_log_{5, std::chrono::seconds(10)};
  log::RateLimit send_log_{5, std::chrono::seconds(10)};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The fsm parameters of an instance.
fsm::Params fsm_params(const config::Instance& cfg);
// What its adverts must match on receipt.
packet::LocalView local_view(const config::Instance& cfg);

}  // namespace tandem::vrrpd::runtime
