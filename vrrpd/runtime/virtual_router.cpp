#include "vrrpd/runtime/virtual_router.h"

#include <algorithm>

#include "common/strings.h"
#include "vrrpd/packet/codec.h"

namespace tandem::vrrpd::runtime {

namespace {

constexpr std::size_t kRecentTransitions = 16;

std::vector<IpAddress> addresses_of(const std::vector<config::Vip>& vips) {
  std::vector<IpAddress> out;
  for (const auto& v : vips) out.push_back(v.prefix.address);
  return out;
}

}  // namespace

fsm::Params fsm_params(const config::Instance& c) {
  fsm::Params p;
  p.version = c.version;
  p.advert_interval = c.advert_int;
  p.base_priority = c.priority;
  p.preempt = c.preempt;
  p.preempt_delay = c.preempt_delay;
  p.start_as_master = c.initial_master;
  p.accept = c.accept;
  p.garp_repeat = c.garp.master_repeat;
  p.garp_delay = c.garp.master_delay;
  p.garp_refresh = c.garp.master_refresh;
  p.garp_refresh_repeat = c.garp.master_refresh_repeat;
  p.garp_lower_prio_repeat = c.garp.lower_prio_repeat.value_or(c.garp.master_repeat);
  p.garp_lower_prio_delay = c.garp.lower_prio_delay.value_or(c.garp.master_delay);
  return p;
}

packet::LocalView local_view(const config::Instance& c) {
  packet::LocalView v;
  v.version = c.version;
  v.vrid = c.vrid;
  v.ipv6 = c.ipv6();
  v.vips = addresses_of(c.vips);
  v.auth_type = c.auth_type;
  std::copy_n(c.auth_pass.begin(), std::min(c.auth_pass.size(), v.auth.size()), v.auth.begin());
  v.v2_interval_s = static_cast<std::uint16_t>(c.advert_int.count() / 1'000'000);
  v.checksum_mode = c.checksum_mode;
  v.unicast = !c.unicast_peers.empty();
  v.unicast_peers = c.unicast_peers;
  return v;
}

VirtualRouter::VirtualRouter(RouterDeps deps, const config::Instance& cfg, NotifyRequests notify, TransitionHook hook)
    : deps_(deps),
      cfg_(cfg),
      notify_(std::move(notify)),
      hook_(std::move(hook)),
      fsm_(fsm_params(cfg)),
      view_(local_view(cfg)),
      state_since_(deps.clock.wall()) {
  for (auto& t : timers_) t = std::make_unique<asio::steady_timer>(deps_.io);
  health_.priority = cfg.priority;
  if (cfg_.source) {
    source_ = *cfg_.source;
    view_.self = source_;
    run(fsm_.step(fsm::SelfAddress{source_}, deps_.clock.now()));
  }
}

VirtualRouter::~VirtualRouter() {
  for (auto& t : timers_) t->cancel();
}

void VirtualRouter::on_link(const netlink::LinkInfo& link) {
  if (cfg_.source) return;  // configured: nothing to learn
  std::vector<IpAddress> ours = addresses_of(cfg_.vips);
  for (const auto& v : cfg_.vips_excluded) ours.push_back(v.prefix.address);
  const IpAddress primary = netlink::primary_address(link, cfg_.ipv6(), ours);
  if (primary == source_) return;
  source_ = primary;
  view_.self = primary;
  if (!primary.is_unspecified()) log::info("(", cfg_.name, ") adverts now come from ", primary.text());
  run(fsm_.step(fsm::SelfAddress{primary}, deps_.clock.now()));
}

void VirtualRouter::on_packet(const packet::Received& rx) {
  auto a = packet::check_received(rx, view_);
  if (!a) return drop(rx, a.error());
  ++counters_.adverts_received;
  if (a->priority == packet::kPriorityStop) ++counters_.priority_zero_received;
  // v3 carries the sender's interval in centiseconds (RFC 5798 §5.2.7).
  const fsm::Micros interval = cfg_.version == 3 ? fsm::Micros(a->interval * 10'000LL) : cfg_.advert_int;
  run(fsm_.step(fsm::AdvertIn{rx.src, a->priority, interval}, deps_.clock.now()));
}

void VirtualRouter::count_foreign(const packet::Received& rx) { drop(rx, packet::DropReason::vrid); }

void VirtualRouter::drop(const packet::Received& rx, packet::DropReason why) {
  ++counters_.drops[static_cast<int>(why)];
  // A VRID served by other routers on the LAN is normal; everything else is
  // worth a (rate-limited) line: misconfiguration, or someone spoofing.
  unsigned long long suppressed = 0;
  if (why == packet::DropReason::vrid) {
    log::debug("(", cfg_.name, ") ignored a packet from ", rx.src.text(), " for another VRID");
  } else if (drop_log_.allow(deps_.clock.now(), suppressed)) {
    log::warning("(", cfg_.name, ") dropped a packet from ", rx.src.text(), ": ", packet::drop_reason_name(why),
                 suppressed ? cat(" (", suppressed, " more not logged)") : "");
  }
}

void VirtualRouter::set_health(const track::Effective& e) {
  const bool changed = e.priority != health_.priority || e.fault != health_.fault || e.reason != health_.reason;
  health_ = e;
  if (!changed) return;
  run(fsm_.step(fsm::Health{e.priority, e.fault, e.reason}, deps_.clock.now()));
}

void VirtualRouter::start() {
  if (started_) return;
  started_ = true;
  run(fsm_.step(fsm::Start{}, deps_.clock.now()));
}

void VirtualRouter::reconfigure(const config::Instance& cfg, NotifyRequests notify) {
  cfg_ = cfg;
  notify_ = std::move(notify);
  const IpAddress self = view_.self;
  view_ = local_view(cfg_);
  view_.self = self;
  run(fsm_.step(fsm::Reconfigure{fsm_params(cfg_)}, deps_.clock.now()));
}

void VirtualRouter::stop() { run(fsm_.step(fsm::Stop{}, deps_.clock.now())); }

bool VirtualRouter::failover() {
  if (fsm_.state() != fsm::State::master) return false;
  run(fsm_.step(fsm::Failover{}, deps_.clock.now()));
  return true;
}

void VirtualRouter::sync_to(fsm::State state, std::string reason) {
  run(fsm_.step(fsm::SyncTo{state, std::move(reason)}, deps_.clock.now()));
}

void VirtualRouter::run(std::vector<fsm::Action> actions) {
  for (const auto& a : actions) execute(a);
}

void VirtualRouter::execute(const fsm::Action& action) {
  std::visit(
      [&](const auto& a) {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<A, fsm::SendAdvert>)
          send_advert(a.priority);
        else if constexpr (std::is_same_v<A, fsm::AddVips>)
          set_vips(true);
        else if constexpr (std::is_same_v<A, fsm::RemoveVips>)
          set_vips(false);
        else if constexpr (std::is_same_v<A, fsm::Announce>)
          announce(a.repeat);
        else if constexpr (std::is_same_v<A, fsm::ArmTimer>)
          arm(a.timer, a.at);
        else if constexpr (std::is_same_v<A, fsm::CancelTimer>)
          timers_[static_cast<int>(a.timer)]->cancel();
        else if constexpr (std::is_same_v<A, fsm::Transition>)
          transition(a);
        else if constexpr (std::is_same_v<A, fsm::Note>)
          log::info("(", cfg_.name, ") ", a.text);
      },
      action);
}

void VirtualRouter::arm(fsm::Timer t, SteadyTime at) {
  auto& timer = *timers_[static_cast<int>(t)];
  timer.expires_at(at);
  std::weak_ptr<bool> alive = alive_;
  timer.async_wait([this, alive, t](asio::error_code ec) {
    // The machine ignores a timer that was re-armed meanwhile (its deadline
    // moved), so a late completion is harmless.
    if (ec || alive.expired()) return;
    run(fsm_.step(fsm::TimerFired{t}, deps_.clock.now()));
  });
}

void VirtualRouter::send_advert(std::uint8_t priority) {
  unsigned long long suppressed = 0;
  if (!socket_ || source_.is_unspecified()) {
    if (send_log_.allow(deps_.clock.now(), suppressed))
      log::warning("(", cfg_.name, ") cannot send adverts: ",
                   !socket_ ? "interface " + cfg_.interface + " is missing" : "no source address on " + cfg_.interface);
    return;
  }
  packet::Advert a;
  a.version = cfg_.version;
  a.vrid = cfg_.vrid;
  a.priority = priority;
  a.interval = static_cast<std::uint16_t>(cfg_.version == 3 ? cfg_.advert_int.count() / 10'000
                                                            : cfg_.advert_int.count() / 1'000'000);
  a.auth_type = view_.auth_type;
  a.auth = view_.auth;
  a.addresses = view_.vips;
  std::vector<IpAddress> dsts = cfg_.unicast_peers;
  if (dsts.empty()) dsts.push_back(cfg_.ipv6() ? packet::multicast_group_v6() : packet::multicast_group_v4());
  for (const IpAddress& dst : dsts) {
    auto bytes = packet::encode(a, source_, dst, cfg_.checksum_mode);
    if (auto r = socket_->send(source_, dst, bytes); !r) {
      if (send_log_.allow(deps_.clock.now(), suppressed)) log::warning("(", cfg_.name, ") ", r.error().message);
      continue;
    }
    ++counters_.adverts_sent;
    if (priority == packet::kPriorityStop) ++counters_.priority_zero_sent;
  }
}

std::vector<netlink::VipAssignment> VirtualRouter::assignments() const {
  std::vector<netlink::VipAssignment> out;
  for (const auto* list : {&cfg_.vips, &cfg_.vips_excluded})
    for (const config::Vip& v : *list) {
      auto link = deps_.links.find(v.dev.empty() ? cfg_.interface : v.dev);
      if (!link) continue;
      out.push_back({v.prefix, link->ifindex, v.label});
    }
  return out;
}

void VirtualRouter::set_vips(bool add) {
  const SteadyTime start = deps_.clock.now();
  for (const auto& a : assignments()) {
    auto r = add ? deps_.addresses.add(a) : deps_.addresses.remove(a);
    if (!r) log::error("(", cfg_.name, ") ", r.error().message);
  }
  vips_held_ = add;
  // The kernel serialises address changes of every namespace (RTNL): when
  // this is slow, failover is slow, and the log should say why.
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(deps_.clock.now() - start).count();
  log::debug("(", cfg_.name, ") VIPs ", add ? "added" : "removed", " in ", us, " us");
}

void VirtualRouter::announce(int repeat) {
  for (const auto* list : {&cfg_.vips, &cfg_.vips_excluded})
    for (const config::Vip& v : *list) {
      auto link = deps_.links.find(v.dev.empty() ? cfg_.interface : v.dev);
      if (!link) continue;
      arp::Announcement an{link->ifindex, link->mac, v.prefix.address, {}};
      if (an.vip.is_v6()) an.source = netlink::primary_address(*link, true, {});
      for (int i = 0; i < repeat; ++i) {
        if (auto r = deps_.announcer.announce(an); !r) {
          unsigned long long suppressed = 0;
          if (send_log_.allow(deps_.clock.now(), suppressed)) log::warning("(", cfg_.name, ") ", r.error().message);
          break;
        }
      }
    }
}

void VirtualRouter::transition(const fsm::Transition& t) {
  TransitionRecord rec{cfg_.name, t.from, t.to, t.reason, deps_.clock.wall()};
  state_since_ = rec.when;
  recent_.push_back(rec);
  if (recent_.size() > kRecentTransitions) recent_.pop_front();
  if (t.to == fsm::State::master) ++counters_.became_master;
  if (t.from == fsm::State::master) ++counters_.released_master;
  auto level = t.to == fsm::State::fault || t.from == fsm::State::master || t.to == fsm::State::master
                   ? log::Level::notice
                   : log::Level::info;
  if (log::enabled(level))
    log::write(level,
               cat("(", cfg_.name, ") ", fsm::state_name(t.from), " -> ", fsm::state_name(t.to), ": ", t.reason));
  // keepalived's notify scripts: the state's own script, then `notify` with
  // INSTANCE NAME STATE PRIORITY.
  const std::optional<track::RunRequest>* own = nullptr;
  switch (t.to) {
    case fsm::State::master:
      own = &notify_.master;
      break;
    case fsm::State::backup:
      own = &notify_.backup;
      break;
    case fsm::State::fault:
      own = &notify_.fault;
      break;
    case fsm::State::stopped:
      own = &notify_.stop;
      break;
    case fsm::State::init:
      break;
  }
  if (own && *own) deps_.notify.push(**own);
  if (notify_.any && t.to != fsm::State::init) {
    track::RunRequest r = *notify_.any;
    r.argv.insert(r.argv.end(), {"INSTANCE", cfg_.name, std::string(fsm::state_name(t.to)), cat(int{fsm_.priority()})});
    deps_.notify.push(std::move(r));
  }
  if (hook_) hook_(*this, rec);
}

InstanceStatus VirtualRouter::status() const {
  InstanceStatus s;
  s.name = cfg_.name;
  s.interface = cfg_.interface;
  s.vrid = cfg_.vrid;
  s.version = cfg_.version;
  s.state = fsm_.state();
  s.state_since = state_since_;
  s.configured_priority = cfg_.priority;
  s.effective_priority = fsm_.priority();
  s.shares = health_.shares;
  for (const auto& v : cfg_.vips) s.vips.push_back(v.prefix.text());
  s.vips_held = vips_held_;
  if (fsm_.master()) s.master_address = fsm_.master()->text();
  s.master_priority = fsm_.state() == fsm::State::master ? fsm_.priority() : fsm_.master_priority();
  s.advert_interval_ms = static_cast<int>(cfg_.advert_int.count() / 1000);
  s.preempt = cfg_.preempt;
  s.preempt_delay_ms = static_cast<int>(cfg_.preempt_delay.count() / 1000);
  for (const auto& p : cfg_.unicast_peers) s.unicast_peers.push_back(p.text());
  s.sync_group = cfg_.sync_group;
  if (fsm_.state() == fsm::State::fault) s.fault_reason = health_.reason;
  s.accept = cfg_.accept;
  s.counters = counters_;
  s.recent.assign(recent_.begin(), recent_.end());
  return s;
}

}  // namespace tandem::vrrpd::runtime
