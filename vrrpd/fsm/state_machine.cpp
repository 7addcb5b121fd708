#include "vrrpd/fsm/state_machine.h"

#include <algorithm>

#include "common/strings.h"
#include "vrrpd/packet/packet_types.h"

namespace tandem::vrrpd::fsm {

namespace {

constexpr std::uint8_t kOwner = packet::kPriorityOwner;
constexpr int kDownTimerAdverts = 3;  // RFC 5798 §6.1: Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time

// emplace_back with in_place_type: g++ 12 warns (maybe-uninitialized, a known
// false positive) when a variant holding a std::string is built by push_back.
void note(std::vector<Action>& out, std::string text) {
  out.emplace_back(std::in_place_type<Note>, Note{std::move(text)});
}

std::string who(const AdvertIn& a) { return cat(a.src.text(), " (priority ", int{a.priority}, ")"); }

}  // namespace

std::string_view state_name(State s) {
  switch (s) {
    case State::init:
      return "INIT";
    case State::backup:
      return "BACKUP";
    case State::master:
      return "MASTER";
    case State::fault:
      return "FAULT";
    case State::stopped:
      return "STOPPED";
  }
  return "?";
}

std::string_view timer_name(Timer t) {
  switch (t) {
    case Timer::adver:
      return "adver";
    case Timer::master_down:
      return "master_down";
    case Timer::garp_delay:
      return "garp_delay";
    case Timer::garp_refresh:
      return "garp_refresh";
    case Timer::garp_lower_prio:
      return "garp_lower_prio";
    case Timer::handover:
      return "handover";
  }
  return "?";
}

StateMachine::StateMachine(Params params)
    : p_(params), tracked_priority_(params.base_priority), master_adver_int_(params.advert_interval) {}

std::uint8_t StateMachine::priority() const {
  // The owner's priority is not the trackers' to change (keepalived: "Don't
  // change priority if address owner"); only a rogue owner makes it yield.
  if (p_.base_priority == kOwner) return owner_reduced_ ? kOwner - 1 : kOwner;
  return tracked_priority_;
}

Micros StateMachine::skew_for(int priority_term) const {
  // RFC 5798 §6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256.
  // RFC 3768 §6.1: Skew_Time = (256 - Priority) / 256 seconds.
  if (p_.version == 2) return Micros(priority_term * 1'000'000LL / 256);
  return Micros(priority_term * master_adver_int_.count() / 256);
}

Micros StateMachine::skew_time() const { return skew_for(256 - priority()); }

Micros StateMachine::master_down_interval() const {
  const Micros base = p_.version == 2 ? p_.advert_interval : master_adver_int_;
  return kDownTimerAdverts * base + skew_time();
}

Micros StateMachine::handover_timeout() const {
  // A backup of any priority gives up on a silent master within 3 intervals
  // plus a Skew_Time shorter than one (v3: a fraction of the interval; v2: a
  // fraction of a second, and v2 intervals are whole seconds): four intervals
  // cover them all.
  return (kDownTimerAdverts + 1) * p_.advert_interval;
}

std::vector<Action> StateMachine::step(const Event& event, SteadyTime now) {
  Out out;
  std::visit(
      [&](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, Start>)
          on_start(out, now);
        else if constexpr (std::is_same_v<E, Stop>)
          on_stop(out);
        else if constexpr (std::is_same_v<E, AdvertIn>)
          on_advert(out, e, now);
        else if constexpr (std::is_same_v<E, TimerFired>)
          on_timer(out, e.timer, now);
        else if constexpr (std::is_same_v<E, Health>)
          on_health(out, e, now);
        else if constexpr (std::is_same_v<E, Failover>)
          on_failover(out, now);
        else if constexpr (std::is_same_v<E, SelfAddress>) {
          self_ = e.address;
          if (state_ == State::master) master_ = self_;
        } else if constexpr (std::is_same_v<E, SyncTo>)
          on_sync(out, e, now);
        else if constexpr (std::is_same_v<E, Reconfigure>)
          on_reconfigure(out, e.params, now);
      },
      event);
  return out;
}

void StateMachine::on_reconfigure(Out& out, const Params& p, SteadyTime now) {
  // keepalived restarts every instance on reload, and a pair flaps for it.
  // Here the state stays: only what the new parameters change is redone.
  // The version is part of the identity (a new one makes a new machine).
  const bool interval_changed = p.advert_interval != p_.advert_interval;
  const bool refresh_changed = p.garp_refresh != p_.garp_refresh;
  const int version = p_.version;
  p_ = p;
  p_.version = version;
  // A new priority arrives as the trackers' next Health event.
  if (state_ != State::master) return;
  master_adver_int_ = p_.advert_interval;
  if (interval_changed && !handing_over_) {
    // Tell the backups at once: v3 backups adopt the interval they hear.
    out.push_back(SendAdvert{priority()});
    arm(out, Timer::adver, now + p_.advert_interval);
  }
  if (refresh_changed) {
    if (p_.garp_refresh.count() > 0)
      arm(out, Timer::garp_refresh, now + p_.garp_refresh);
    else
      cancel(out, Timer::garp_refresh);
  }
}

void StateMachine::on_start(Out& out, SteadyTime now) {
  if (state_ != State::init) return;
  if (fault_) return enter_fault(out, fault_reason_);
  // RFC 5798 §6.4.1: the owner becomes master at once.
  if (priority() == kOwner) return become_master(out, now, "address owner (priority 255)");
  // keepalived: `state MASTER` waits one interval for a better master to
  // speak (a minimal skew keeps two such nodes apart); a backup waits
  // Master_Down_Interval as RFC 5798 §6.4.1 says.
  if (p_.start_as_master) {
    enter_backup(out, now, p_.advert_interval + skew_for(1), "startup (state MASTER)");
    startup_wait_ = true;
    return;
  }
  enter_backup(out, now, master_down_interval(), "startup");
}

void StateMachine::on_stop(Out& out) {
  if (state_ == State::stopped) return;
  // RFC 5798 §6.4.3 "If a Shutdown event is received": priority 0, so that a
  // backup takes over after Skew_Time instead of Master_Down_Interval.
  if (state_ == State::master) leave_master(out, true);
  cancel_all(out);
  transition(out, State::stopped, "shutdown");
}

void StateMachine::on_advert(Out& out, const AdvertIn& a, SteadyTime now) {
  if (state_ == State::backup)
    on_advert_backup(out, a, now);
  else if (state_ == State::master)
    on_advert_master(out, a, now);
  // INIT, FAULT and STOPPED do not take part.
}

void StateMachine::on_advert_backup(Out& out, const AdvertIn& a, SteadyTime now) {
  if (owner_reduced_ && (a.priority != kOwner || (master_ && a.src != *master_))) {
    owner_reduced_ = false;
    note(out, "the other address owner is gone: priority back to 255");
  }
  // RFC 5798 §6.4.2: "If the Priority in the ADVERTISEMENT is zero, then: Set
  // the Master_Down_Timer to Skew_Time".
  if (a.priority == packet::kPriorityStop) {
    zero_seen_ = true;
    master_priority_ = 0;
    arm(out, Timer::master_down, now + skew_time());
    return;
  }
  // RFC 5798 §6.4.2: "If Preempt_Mode is False, or if the Priority in the
  // ADVERTISEMENT is greater than or equal to the local Priority", accept.
  // keepalived also accepts a lower master until preempt_delay has run since
  // it was first seen, and we accept any master after handing over (Failover).
  const bool lower = a.priority < priority();
  const bool delaying = p_.preempt_delay.count() > 0 && (!preempt_at_ || now < *preempt_at_);
  if (!p_.preempt || yielding_ || !lower || delaying) {
    adopt_interval(a);
    zero_seen_ = false;
    if (!master_ || *master_ != a.src) note(out, cat("master is ", who(a)));
    master_ = a.src;
    master_priority_ = a.priority;
    if (p_.preempt_delay.count() > 0) {
      if (!lower)
        preempt_at_.reset();
      else if (!preempt_at_) {
        preempt_at_ = now + p_.preempt_delay;
        note(out, cat("lower priority master ", who(a), ": preempting after preempt_delay"));
      }
    }
    arm(out, Timer::master_down, now + master_down_interval());
    return;
  }
  // Preempting: discard without touching the timer, so that it runs out and
  // we take over (RFC 5798 §6.4.2, "Otherwise, discard the ADVERTISEMENT").
  if (!master_ || *master_ != a.src || master_priority_ != a.priority)
    note(out, cat("lower priority master ", who(a), ": preempting"));
  master_ = a.src;
  master_priority_ = a.priority;
}

void StateMachine::on_advert_master(Out& out, const AdvertIn& a, SteadyTime now) {
  if (handing_over_) {
    // Whoever speaks with a real priority now is the master we hand to
    // (another router leaving, priority 0, changes nothing for us).
    if (a.priority != packet::kPriorityStop) finish_handover(out, &a, now);
    return;
  }
  // RFC 5798 §6.4.3: "If the Priority in the ADVERTISEMENT is zero, then: Send
  // an ADVERTISEMENT; Reset the Adver_Timer to Advertisement_Interval".
  if (a.priority == packet::kPriorityStop) {
    out.push_back(SendAdvert{priority()});
    arm(out, Timer::adver, now + p_.advert_interval);
    return;
  }
  if (priority() == kOwner && a.priority == kOwner) {
    if (a.src > self_) {
      note(out, cat("CONFIGURATION ERROR: ", a.src.text(), " is also the address owner and has the higher address"));
    } else if (rogue_window_end_ && now <= *rogue_window_end_) {
      // It kept advertising after our two adverts: it will not yield, so we do.
      owner_reduced_ = true;
      rogue_window_end_.reset();
      rogue_adverts_to_send_ = 0;
      note(out, cat(a.src.text(), " keeps advertising as address owner: reducing our priority to 254"));
    } else if (rogue_adverts_to_send_ == 0) {
      rogue_adverts_to_send_ = 2;
      rogue_window_end_.reset();
      rogue_interval_ = std::max(a.interval, p_.advert_interval);
      note(out, cat("CONFIGURATION ERROR: ", a.src.text(), " is also the address owner"));
    }
  }
  if (sender_wins(a)) {
    // One last advert at our own priority before we step down. After a split
    // brain heals the winner's advert may reach us before ours reached it;
    // without this the winner would never learn that another master existed,
    // and would not send the gratuitous ARPs that move clients back from us.
    // (keepalived and we answer a lower-priority master with gratuitous ARP.)
    out.push_back(SendAdvert{priority()});
    adopt_interval(a);
    leave_master(out, false);
    master_ = a.src;
    master_priority_ = a.priority;
    const bool higher = a.priority > priority();
    enter_backup(out, now, master_down_interval(),
                 cat(higher ? "higher priority advert from " : "equal priority advert from a higher address ", who(a)));
    return;
  }
  // A lower-priority master: a split brain is healing. keepalived reasserts
  // at once and refreshes the neighbours' ARP caches, which the other master's
  // gratuitous ARPs pointed away from us.
  out.push_back(SendAdvert{priority()});
  note(out, cat("lower priority master ", who(a), " while master: reasserting"));
  if (p_.garp_lower_prio_repeat > 0) {
    out.push_back(Announce{p_.garp_lower_prio_repeat});
    if (p_.garp_lower_prio_delay.count() > 0) arm(out, Timer::garp_lower_prio, now + p_.garp_lower_prio_delay);
  }
}

void StateMachine::on_timer(Out& out, Timer t, SteadyTime now) {
  auto& d = deadlines_[static_cast<int>(t)];
  // A timer the driver fired late, after it was re-armed or cancelled, is stale.
  if (!d || now < *d) return;
  d.reset();
  switch (t) {
    case Timer::adver:
      if (state_ != State::master) return;
      if (handing_over_) {
        // Priority 0 again: one lost packet must not cost Master_Down_Interval.
        out.push_back(SendAdvert{packet::kPriorityStop});
        arm(out, Timer::adver, now + p_.advert_interval);
        return;
      }
      // RFC 5798 §6.4.3: "If the Adver_Timer fires, then: Send an ADVERTISEMENT".
      out.push_back(SendAdvert{priority()});
      arm(out, Timer::adver, now + p_.advert_interval);
      if (rogue_adverts_to_send_ > 0 && --rogue_adverts_to_send_ == 0)
        rogue_window_end_ = now + rogue_interval_ * 12 / 10;  // "a bit more" than one interval
      return;
    case Timer::master_down:
      if (state_ != State::backup) return;
      // RFC 5798 §6.4.2: "If the Master_Down_Timer fires, then: ... transition to the {Master} state".
      become_master(out, now,
                    zero_seen_ ? cat("priority 0 advert from ", master_ ? master_->text() : "?", ", after Skew_Time")
                    : startup_wait_ ? std::string("no better master within one advert interval (state MASTER)")
                                    : std::string("no advert for Master_Down_Interval"));
      return;
    case Timer::garp_delay:
      if (state_ == State::master) out.push_back(Announce{p_.garp_repeat});
      return;
    case Timer::garp_refresh:
      if (state_ != State::master) return;
      out.push_back(Announce{p_.garp_refresh_repeat});
      arm(out, Timer::garp_refresh, now + p_.garp_refresh);
      return;
    case Timer::garp_lower_prio:
      if (state_ == State::master) out.push_back(Announce{p_.garp_lower_prio_repeat});
      return;
    case Timer::handover:
      if (state_ == State::master && handing_over_) finish_handover(out, nullptr, now);
      return;
  }
}

void StateMachine::on_health(Out& out, const Health& h, SteadyTime now) {
  const Micros old_skew = skew_time();
  tracked_priority_ = h.priority;
  if (h.fault) {
    const bool was = fault_;
    fault_ = true;
    fault_reason_ = h.reason;
    if (was) return;
    if (state_ == State::master || state_ == State::backup) enter_fault(out, h.reason);
    return;
  }
  if (fault_) {
    fault_ = false;
    fault_reason_.clear();
    if (state_ != State::fault) return;
    master_adver_int_ = p_.advert_interval;
    master_.reset();
    if (priority() == kOwner) return become_master(out, now, cat("address owner, fault cleared: ", h.reason));
    enter_backup(out, now, master_down_interval(), cat("fault cleared: ", h.reason));
    return;
  }
  // keepalived: a new priority moves a running Master_Down_Timer by the
  // change in Skew_Time (the rest of the interval does not depend on it).
  const Micros new_skew = skew_time();
  auto& d = deadlines_[static_cast<int>(Timer::master_down)];
  if (state_ == State::backup && d && new_skew != old_skew) arm(out, Timer::master_down, *d + (new_skew - old_skew));
}

void StateMachine::on_failover(Out& out, SteadyTime now) {
  if (state_ != State::master || handing_over_) return;
  // Make before break. RFC 5798's shutdown (priority 0, addresses removed at
  // once) leaves the VIPs with nobody for the backup's Skew_Time, and every
  // connection a client opens then is lost. An operator's hand-over has a
  // live node on each side, so we keep answering for the VIPs until the new
  // master has them: priority 0 tells the backup to take over after
  // Skew_Time, we stay silent otherwise (and repeat the 0 each interval), and
  // only its first advert -- sent after its own addresses and gratuitous ARP,
  // see become_master -- or handover_timeout() makes us let go.
  handing_over_ = true;
  out.push_back(SendAdvert{packet::kPriorityStop});
  arm(out, Timer::adver, now + p_.advert_interval);
  // No gratuitous ARP of ours may point clients back here.
  cancel(out, Timer::garp_delay);
  cancel(out, Timer::garp_refresh);
  cancel(out, Timer::garp_lower_prio);
  rogue_adverts_to_send_ = 0;
  rogue_window_end_.reset();
  arm(out, Timer::handover, now + handover_timeout());
  note(out, cat("failover requested: handing over, the VIPs stay here until the new master advertises (at most ",
                handover_timeout().count() / 1000, " ms)"));
}

void StateMachine::finish_handover(Out& out, const AdvertIn* a, SteadyTime now) {
  leave_master(out, false);
  yielding_ = true;
  if (a) {
    adopt_interval(*a);
    master_ = a->src;
    master_priority_ = a->priority;
    enter_backup(out, now, master_down_interval(), cat("failover: handed over to ", who(*a)));
  } else {
    // A dead or deaf peer must not leave us holding the VIPs in a role we
    // asked to leave. Alone, we take them back after Master_Down_Interval.
    master_.reset();
    enter_backup(out, now, master_down_interval(),
                 cat("failover: no new master heard within ", handover_timeout().count() / 1000, " ms"));
  }
}

void StateMachine::on_sync(Out& out, const SyncTo& s, SteadyTime now) {
  // A member handing over is leaving already: it lets go when its own new
  // master has its VIPs, not when a sibling's has.
  if (s.state == State::master && state_ == State::backup) {
    become_master(out, now, s.reason);
  } else if (s.state == State::backup && state_ == State::master && !handing_over_) {
    leave_master(out, false);
    enter_backup(out, now, master_down_interval(), s.reason);
  }
}

void StateMachine::become_master(Out& out, SteadyTime now, std::string reason) {
  if (owner_reduced_) {
    owner_reduced_ = false;
    note(out, "the other address owner is gone: priority back to 255");
  }
  master_adver_int_ = p_.advert_interval;
  yielding_ = false;
  const bool released = zero_seen_;
  zero_seen_ = false;
  preempt_at_.reset();
  cancel(out, Timer::master_down);
  // RFC 5798 §6.4.2: "Send an ADVERTISEMENT; Broadcast a gratuitous ARP".
  // The advert goes first so that an old master drops the addresses before
  // our gratuitous ARPs arrive (keepalived's order) -- except after a
  // priority 0 advert: the old master is leaving of its own will, and one
  // that hands over (Failover) keeps the VIPs until it hears us. Addresses
  // and gratuitous ARP first then: by the time it lets go, clients are
  // already sending here (one that shut down has let go already).
  if (!released) out.push_back(SendAdvert{priority()});
  out.push_back(AddVips{});
  if (p_.garp_repeat > 0) {
    out.push_back(Announce{p_.garp_repeat});
    if (p_.garp_delay.count() > 0) arm(out, Timer::garp_delay, now + p_.garp_delay);
  }
  if (released) out.push_back(SendAdvert{priority()});
  if (p_.garp_refresh.count() > 0) arm(out, Timer::garp_refresh, now + p_.garp_delay + p_.garp_refresh);
  arm(out, Timer::adver, now + p_.advert_interval);
  master_ = self_;
  master_priority_ = priority();
  transition(out, State::master, std::move(reason));
}

void StateMachine::enter_backup(Out& out, SteadyTime now, Micros down_after, std::string reason) {
  arm(out, Timer::master_down, now + down_after);
  transition(out, State::backup, std::move(reason));
}

void StateMachine::leave_master(Out& out, bool release) {
  if (release) out.push_back(SendAdvert{packet::kPriorityStop});
  out.push_back(RemoveVips{});
  handing_over_ = false;
  cancel(out, Timer::handover);
  cancel(out, Timer::adver);
  cancel(out, Timer::garp_delay);
  cancel(out, Timer::garp_refresh);
  cancel(out, Timer::garp_lower_prio);
  rogue_adverts_to_send_ = 0;
  rogue_window_end_.reset();
}

void StateMachine::enter_fault(Out& out, std::string reason) {
  // keepalived's FAULT: a master leaves with priority 0 (RFC 5798 §6.4.3's
  // Shutdown behaviour) so that the backup takes over after Skew_Time.
  if (state_ == State::master) leave_master(out, true);
  cancel_all(out);
  master_.reset();
  transition(out, State::fault, std::move(reason));
}

void StateMachine::transition(Out& out, State to, std::string reason) {
  if (to == state_) return;
  out.emplace_back(std::in_place_type<Transition>, Transition{state_, to, std::move(reason)});
  state_ = to;
}

void StateMachine::arm(Out& out, Timer t, SteadyTime at) {
  if (t == Timer::master_down) startup_wait_ = false;  // on_start sets it again after arming
  deadlines_[static_cast<int>(t)] = at;
  out.push_back(ArmTimer{t, at});
}

void StateMachine::cancel(Out& out, Timer t) {
  auto& d = deadlines_[static_cast<int>(t)];
  if (!d) return;
  d.reset();
  out.push_back(CancelTimer{t});
}

void StateMachine::cancel_all(Out& out) {
  for (int i = 0; i < kTimerCount; ++i) cancel(out, static_cast<Timer>(i));
}

void StateMachine::adopt_interval(const AdvertIn& a) {
  // RFC 5798 §6.4.2: "Set Master_Adver_Interval to Adver Interval contained in
  // the ADVERTISEMENT". Version 2 has no such field: RFC 3768 §7.1 requires
  // the same interval on every router instead.
  if (p_.version == 3 && a.interval.count() > 0) master_adver_int_ = a.interval;
}

bool StateMachine::sender_wins(const AdvertIn& a) const {
  return a.priority > priority() || (a.priority == priority() && a.src > self_);
}

}  // namespace tandem::vrrpd::fsm
