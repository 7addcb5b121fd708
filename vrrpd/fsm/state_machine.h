#pragma once
// One virtual router's state machine: RFC 5798 §6.4 with keepalived's FAULT
// state and its field-tested edge cases (a rogue address owner, preempt_delay,
// GARP after a split brain heals). A pure function of events and time: no
// sockets, no clock, no timers of its own. step() returns what the driver must
// do, in order; timers are deadlines the driver arms and reports back.

#include <array>
#include <optional>
#include <vector>

#include "vrrpd/fsm/fsm_types.h"

namespace tandem::vrrpd::fsm {

class StateMachine {
 public:
  explicit StateMachine(Params params);

  std::vector<Action> step(const Event& event, SteadyTime now);

  State state() const { return state_; }
  const Params& params() const { return p_; }
  // The priority our adverts carry now.
  std::uint8_t priority() const;
  bool fault() const { return fault_; }
  // The master last heard (our own address while we are master).
  const std::optional<IpAddress>& master() const { return master_; }
  std::uint8_t master_priority() const { return master_priority_; }
  Micros master_adver_interval() const { return master_adver_int_; }
  std::optional<SteadyTime> deadline(Timer t) const { return deadlines_[static_cast<int>(t)]; }
  // MASTER after Failover, still holding the VIPs until the new master speaks.
  bool handing_over() const { return handing_over_; }

  // RFC 5798 §6.1 (v3) and RFC 3768 §6.1 (v2).
  Micros skew_time() const;
  Micros master_down_interval() const;
  // How long a hand-over keeps the VIPs at most: longer than any backup's
  // Master_Down_Interval, so that a peer that missed every priority 0 advert
  // still takes over (we are silent) before we let go.
  Micros handover_timeout() const;

 private:
  using Out = std::vector<Action>;

  void on_start(Out& out, SteadyTime now);
  void on_stop(Out& out);
  void on_advert(Out& out, const AdvertIn& a, SteadyTime now);
  void on_advert_backup(Out& out, const AdvertIn& a, SteadyTime now);
  void on_advert_master(Out& out, const AdvertIn& a, SteadyTime now);
  void on_timer(Out& out, Timer t, SteadyTime now);
  void on_health(Out& out, const Health& h, SteadyTime now);
  void on_failover(Out& out, SteadyTime now);
  // The new master spoke (`a`), or nobody did in time (nullptr): let go.
  void finish_handover(Out& out, const AdvertIn* a, SteadyTime now);
  void on_sync(Out& out, const SyncTo& s, SteadyTime now);
  void on_reconfigure(Out& out, const Params& p, SteadyTime now);

  void become_master(Out& out, SteadyTime now, std::string reason);
  void enter_backup(Out& out, SteadyTime now, Micros down_after, std::string reason);
  // Leaves MASTER: priority 0 when `release`, the VIPs go, the master's timers stop.
  void leave_master(Out& out, bool release);
  void enter_fault(Out& out, std::string reason);
  void transition(Out& out, State to, std::string reason);
  void arm(Out& out, Timer t, SteadyTime at);
  void cancel(Out& out, Timer t);
  void cancel_all(Out& out);
  void adopt_interval(const AdvertIn& a);
  // Does the sender of `a` win against us (higher priority, or equal and a
  // higher primary address: RFC 5798 §6.4.3)?
  bool sender_wins(const AdvertIn& a) const;
  Micros skew_for(int priority_term) const;

  Params p_;
  State state_ = State::init;
  std::uint8_t tracked_priority_;  // from Health events
  bool fault_ = false;
  std::string fault_reason_;
  IpAddress self_;
  Micros master_adver_int_;
  std::optional<IpAddress> master_;
  std::uint8_t master_priority_ = 0;
  std::array<std::optional<SteadyTime>, kTimerCount> deadlines_{};
  bool zero_seen_ = false;                // the down timer runs on Skew_Time after a priority 0 advert
  bool startup_wait_ = false;             // the down timer is `state MASTER`'s one-interval wait
  bool yielding_ = false;                 // after Failover: accept any master until we are master again
  bool handing_over_ = false;             // after Failover, until the new master's advert: VIPs kept, adverts say 0
  std::optional<SteadyTime> preempt_at_;  // preempt_delay: lower masters are accepted until then

  // A second address owner (keepalived's "rogue owner"): when one keeps
  // advertising 255 after we sent two more adverts, we drop to 254 so that
  // there is one master, and take 255 back once it is gone.
  bool owner_reduced_ = false;
  int rogue_adverts_to_send_ = 0;
  std::optional<SteadyTime> rogue_window_end_;
  Micros rogue_interval_{0};
};

}  // namespace tandem::vrrpd::fsm
