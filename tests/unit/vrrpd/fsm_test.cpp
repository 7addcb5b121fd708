// The state machine, driven by events and a ManualClock the way the driver
// drives it: timers fire when the clock reaches their deadlines.
#include <gtest/gtest.h>

#include <algorithm>

#include "vrrpd/fsm/state_machine.h"

namespace tandem::vrrpd::fsm {
namespace {

using namespace std::chrono_literals;

IpAddress ip(std::string_view s) { return *IpAddress::parse(s); }

const IpAddress kSelf = ip("198.18.0.2");
const IpAddress kLow = ip("198.18.0.1");   // a peer with a lower address
const IpAddress kHigh = ip("198.18.0.3");  // a peer with a higher address

Params v3(Micros interval = 1s, std::uint8_t prio = 100) {
  Params p;
  p.version = 3;
  p.advert_interval = interval;
  p.base_priority = prio;
  return p;
}

// Feeds events, fires timers as the clock passes them, records every action.
struct Driver {
  explicit Driver(Params p) : m(p) { m.step(SelfAddress{kSelf}, clock.now()); }

  ManualClock clock;
  StateMachine m;
  std::vector<Action> log;  // everything since the last clear()

  std::vector<Action> step(const Event& e) {
    auto out = m.step(e, clock.now());
    log.insert(log.end(), out.begin(), out.end());
    return out;
  }
  std::optional<std::pair<SteadyTime, Timer>> next_timer() const {
    std::optional<std::pair<SteadyTime, Timer>> best;
    for (int i = 0; i < kTimerCount; ++i) {
      auto d = m.deadline(static_cast<Timer>(i));
      if (d && (!best || *d < best->first)) best = {{*d, static_cast<Timer>(i)}};
    }
    return best;
  }
  // Advances the clock by `d`, firing every timer that falls due on the way.
  void run_for(std::chrono::nanoseconds d) {
    const SteadyTime end = clock.now() + d;
    while (auto t = next_timer()) {
      if (t->first > end) break;
      clock.advance(t->first - clock.now());
      step(TimerFired{t->second});
    }
    clock.advance(end - clock.now());
  }
  void advert(IpAddress src, std::uint8_t prio, Micros interval = 1s) { step(AdvertIn{src, prio, interval}); }
  void clear() { log.clear(); }
};

template <typename T>
int count(const std::vector<Action>& v) {
  return static_cast<int>(
      std::count_if(v.begin(), v.end(), [](const Action& a) { return std::holds_alternative<T>(a); }));
}

std::vector<int> adverts(const std::vector<Action>& v) {
  std::vector<int> out;
  for (const auto& a : v)
    if (auto* s = std::get_if<SendAdvert>(&a)) out.push_back(s->priority);
  return out;
}

std::optional<Transition> last_transition(const std::vector<Action>& v) {
  std::optional<Transition> t;
  for (const auto& a : v)
    if (auto* x = std::get_if<Transition>(&a)) t = *x;
  return t;
}

TEST(Timers, SkewAndMasterDownFollowTheRfc) {
  // RFC 5798 §6.1 at advert_int 0.1 s, priority 100: Skew_Time = 156/256 * 100 ms.
  StateMachine m(v3(100ms, 100));
  EXPECT_EQ(m.skew_time(), 60937us);
  EXPECT_EQ(m.master_down_interval(), 300ms + 60937us);
  // RFC 3768 §6.1: v2's skew is in seconds whatever the interval.
  Params p = v3(1s, 100);
  p.version = 2;
  StateMachine m2(p);
  EXPECT_EQ(m2.skew_time(), 609375us);
  EXPECT_EQ(m2.master_down_interval(), 3s + 609375us);
  // Higher priority, shorter skew: the best backup moves first.
  EXPECT_LT(StateMachine(v3(100ms, 200)).skew_time(), m.skew_time());
}

TEST(Startup, BackupWaitsMasterDownIntervalThenTakesOver) {
  Driver d(v3(1s, 100));
  d.step(Start{});
  EXPECT_EQ(d.m.state(), State::backup);
  d.clear();
  d.run_for(d.m.master_down_interval() - 1us);
  EXPECT_EQ(d.m.state(), State::backup);
  EXPECT_TRUE(d.log.empty());
  d.run_for(1us);
  EXPECT_EQ(d.m.state(), State::master);
  // RFC 5798 §6.4.2: advert first, then the addresses and gratuitous ARP.
  ASSERT_GE(d.log.size(), 4u);
  EXPECT_TRUE(std::holds_alternative<SendAdvert>(d.log[0]));
  EXPECT_TRUE(std::holds_alternative<AddVips>(d.log[1]));
  EXPECT_EQ(std::get<Announce>(d.log[2]).repeat, 5);
  EXPECT_EQ(last_transition(d.log)->reason, "no advert for Master_Down_Interval");
  EXPECT_EQ(*d.m.master(), kSelf);
}

TEST(Startup, StateMasterWaitsOneIntervalAndAMinimalSkew) {
  Params p = v3(1s, 100);
  p.start_as_master = true;
  Driver d(p);
  d.step(Start{});
  EXPECT_EQ(d.m.state(), State::backup);
  d.run_for(1s + 3906us);  // 1 s + 1 s / 256
  EXPECT_EQ(d.m.state(), State::master);
  EXPECT_EQ(last_transition(d.log)->reason, "no better master within one advert interval (state MASTER)");
}

TEST(Startup, StateMasterStillDefersToABetterMaster) {
  Params p = v3(1s, 100);
  p.start_as_master = true;
  Driver d(p);
  d.step(Start{});
  d.run_for(500ms);
  d.advert(kLow, 150);
  d.run_for(1s);
  EXPECT_EQ(d.m.state(), State::backup);
}

TEST(Startup, AddressOwnerIsMasterAtOnce) {
  Driver d(v3(1s, 255));
  auto out = d.step(Start{});
  EXPECT_EQ(d.m.state(), State::master);
  EXPECT_EQ(adverts(out), std::vector<int>{255});
}

TEST(Startup, FaultFromTheStart) {
  Driver d(v3());
  d.step(Health{100, true, "interface down"});
  d.step(Start{});
  EXPECT_EQ(d.m.state(), State::fault);
  EXPECT_EQ(last_transition(d.log)->reason, "interface down");
  d.run_for(10s);
  EXPECT_EQ(d.m.state(), State::fault);
}

TEST(Backup, PriorityZeroMeansTakeOverAfterSkewTime) {
  Driver d(v3(100ms, 100));
  d.step(Start{});
  d.run_for(50ms);
  d.advert(kLow, 150, 100ms);
  d.run_for(200ms);
  d.advert(kLow, 0, 100ms);
  d.clear();
  d.run_for(60936us);
  EXPECT_EQ(d.m.state(), State::backup);
  d.run_for(1us);
  EXPECT_EQ(d.m.state(), State::master);
  EXPECT_EQ(last_transition(d.log)->reason, "priority 0 advert from 198.18.0.1, after Skew_Time");
}

TEST(Backup, AdvertsFromABetterMasterKeepItBackup) {
  Driver d(v3(1s, 100));
  d.step(Start{});
  for (int i = 0; i < 20; ++i) {
    d.run_for(1s);
    d.advert(kLow, 101);
  }
  EXPECT_EQ(d.m.state(), State::backup);
  EXPECT_EQ(*d.m.master(), kLow);
  EXPECT_EQ(d.m.master_priority(), 101);
}

TEST(Backup, EqualPriorityMasterIsAcceptedWhateverItsAddress) {
  // RFC 5798 §6.4.2: "greater than or equal to the local Priority".
  Driver d(v3(1s, 100));
  d.step(Start{});
  for (int i = 0; i < 10; ++i) {
    d.run_for(1s);
    d.advert(kLow, 100);
  }
  EXPECT_EQ(d.m.state(), State::backup);
}

TEST(Backup, PreemptsALowerMasterAfterMasterDownInterval) {
  Driver d(v3(1s, 100));
  d.step(Start{});
  d.run_for(100ms);
  d.advert(kLow, 120);  // accepted: the timer restarts here
  const SteadyTime accepted = d.clock.now();
  for (int i = 0; i < 3; ++i) {
    d.run_for(1s);
    d.advert(kLow, 50);  // lower: discarded, the timer keeps running
  }
  d.run_for(1s);
  EXPECT_EQ(d.m.state(), State::master);
  EXPECT_LE(d.clock.now() - accepted, d.m.master_down_interval() + 1s);
}

TEST(Backup, NopreemptFollowsALowerMaster) {
  Params p = v3(1s, 200);
  p.preempt = false;
  Driver d(p);
  d.step(Start{});
  for (int i = 0; i < 10; ++i) {
    d.run_for(1s);
    d.advert(kLow, 50);
  }
  EXPECT_EQ(d.m.state(), State::backup);
}

TEST(Backup, PreemptDelayHoldsPreemptionForItsDuration) {
  Params p = v3(1s, 200);
  p.preempt_delay = 10s;
  Driver d(p);
  d.step(Start{});
  d.run_for(100ms);
  const SteadyTime first = d.clock.now();
  for (int i = 0; i < 30 && d.m.state() == State::backup; ++i) {
    d.advert(kLow, 100);
    d.run_for(1s);
  }
  EXPECT_EQ(d.m.state(), State::master);
  const auto took = d.clock.now() - first;
  EXPECT_GE(took, 10s);                                    // not before the delay
  EXPECT_LE(took, 10s + d.m.master_down_interval() + 1s);  // and soon after it
}

TEST(Backup, LearnsTheMastersAdvertIntervalInV3) {
  Driver d(v3(1s, 100));
  d.step(Start{});
  d.run_for(100ms);
  d.advert(kLow, 150, 200ms);
  EXPECT_EQ(d.m.master_adver_interval(), 200ms);
  EXPECT_EQ(d.m.master_down_interval(), 600ms + Micros(156 * 200'000 / 256));
  d.run_for(d.m.master_down_interval());
  EXPECT_EQ(d.m.state(), State::master);
  // As master it advertises its own interval again.
  EXPECT_EQ(d.m.master_adver_interval(), 1s);
}

TEST(Backup, APriorityChangeMovesTheDownTimerBySkewDifference) {
  Driver d(v3(1s, 100));
  d.step(Start{});
  d.advert(kLow, 250);
  const auto before = *d.m.deadline(Timer::master_down);
  const auto old_skew = d.m.skew_time();
  d.step(Health{200, false, "script ok"});
  EXPECT_EQ(*d.m.deadline(Timer::master_down), before + (d.m.skew_time() - old_skew));
}

TEST(Master, AdvertisesEveryInterval) {
  Driver d(v3(100ms, 255));
  d.step(Start{});
  d.clear();
  d.run_for(1s);
  EXPECT_EQ(adverts(d.log).size(), 10u);
}

TEST(Master, PriorityZeroFromAnotherRouterIsAnsweredAtOnce) {
  Driver d(v3(1s, 255));
  d.step(Start{});
  d.run_for(300ms);
  auto out = d.step(AdvertIn{kLow, 0, 1s});
  EXPECT_EQ(adverts(out), std::vector<int>{255});
  EXPECT_EQ(*d.m.deadline(Timer::adver), d.clock.now() + 1s);
}

TEST(Master, HigherPriorityTakesOverWithAFarewellAdvertNotPriorityZero) {
  Driver e(v3(1s, 100));
  e.step(Start{});
  e.run_for(5s);
  ASSERT_EQ(e.m.state(), State::master);
  e.clear();
  e.advert(kLow, 101);
  EXPECT_EQ(e.m.state(), State::backup);
  // No priority 0 (the new master is there), but one advert at our own
  // priority, so that after a split brain the winner learns about us.
  EXPECT_EQ(adverts(e.log), std::vector<int>{100});
  EXPECT_EQ(count<RemoveVips>(e.log), 1);
  EXPECT_FALSE(e.m.deadline(Timer::adver));
  EXPECT_TRUE(e.m.deadline(Timer::master_down));
}

TEST(Master, EqualPriorityHigherAddressWins) {
  Driver d(v3(1s, 100));
  d.step(Start{});
  d.run_for(5s);
  ASSERT_EQ(d.m.state(), State::master);
  d.clear();
  d.advert(kLow, 100);  // lower address: we stay, and say so
  EXPECT_EQ(d.m.state(), State::master);
  EXPECT_EQ(adverts(d.log), std::vector<int>{100});
  d.advert(kHigh, 100);  // higher address: it wins
  EXPECT_EQ(d.m.state(), State::backup);
  EXPECT_EQ(last_transition(d.log)->reason, "equal priority advert from a higher address 198.18.0.3 (priority 100)");
}

TEST(Master, ALowerMasterAfterASplitBrainGetsAdvertAndGratuitousArp) {
  Params p = v3(1s, 150);
  p.garp_lower_prio_repeat = 3;
  p.garp_lower_prio_delay = 2s;
  Driver d(p);
  d.step(Start{});
  d.run_for(5s);
  d.clear();
  d.advert(kHigh, 100);
  EXPECT_EQ(d.m.state(), State::master);
  EXPECT_EQ(adverts(d.log), std::vector<int>{150});
  ASSERT_EQ(count<Announce>(d.log), 1);
  d.clear();
  d.run_for(2s);
  EXPECT_EQ(count<Announce>(d.log), 1);  // the delayed repeat burst
}

TEST(Master, GarpDelayAndRefresh) {
  Params p = v3(1s, 255);
  p.garp_repeat = 2;
  p.garp_delay = 5s;
  p.garp_refresh = 10s;
  p.garp_refresh_repeat = 1;
  Driver d(p);
  d.step(Start{});
  std::vector<int> bursts;
  for (const auto& a : d.log)
    if (auto* x = std::get_if<Announce>(&a)) bursts.push_back(x->repeat);
  EXPECT_EQ(bursts, std::vector<int>{2});
  d.clear();
  d.run_for(5s);
  EXPECT_EQ(count<Announce>(d.log), 1);  // garp_master_delay: second burst
  d.clear();
  d.run_for(10s);
  EXPECT_EQ(count<Announce>(d.log), 1);  // first refresh at delay + refresh
  d.clear();
  d.run_for(20s);
  EXPECT_EQ(count<Announce>(d.log), 2);
}

TEST(Fault, MasterLeavesWithPriorityZeroAndIgnoresAdverts) {
  Driver d(v3(100ms, 150));
  d.step(Start{});
  d.run_for(1s);
  ASSERT_EQ(d.m.state(), State::master);
  d.clear();
  d.step(Health{150, true, "balancer NOT_SERVING"});
  EXPECT_EQ(d.m.state(), State::fault);
  EXPECT_EQ(adverts(d.log), std::vector<int>{0});
  EXPECT_EQ(count<RemoveVips>(d.log), 1);
  for (int i = 0; i < kTimerCount; ++i) EXPECT_FALSE(d.m.deadline(static_cast<Timer>(i)));
  d.clear();
  d.advert(kLow, 0);
  d.run_for(10s);
  EXPECT_TRUE(d.log.empty());
  // Recovery: back to BACKUP, and master again only if nobody speaks.
  d.step(Health{150, false, "balancer SERVING"});
  EXPECT_EQ(d.m.state(), State::backup);
  EXPECT_EQ(last_transition(d.log)->reason, "fault cleared: balancer SERVING");
  d.run_for(d.m.master_down_interval());
  EXPECT_EQ(d.m.state(), State::master);
}

TEST(Fault, BackupGoesToFaultQuietly) {
  Driver d(v3());
  d.step(Start{});
  d.clear();
  d.step(Health{100, true, "interface eth0 down"});
  EXPECT_EQ(d.m.state(), State::fault);
  EXPECT_TRUE(adverts(d.log).empty());
}

TEST(Fault, OwnerComesBackAsMasterAtOnce) {
  Driver d(v3(1s, 255));
  d.step(Start{});
  d.step(Health{255, true, "x"});
  d.step(Health{255, false, "y"});
  EXPECT_EQ(d.m.state(), State::master);
}

TEST(Stop, MasterSaysPriorityZeroAndReleases) {
  Driver d(v3(1s, 255));
  d.step(Start{});
  d.clear();
  d.step(Stop{});
  EXPECT_EQ(d.m.state(), State::stopped);
  EXPECT_EQ(adverts(d.log), std::vector<int>{0});
  EXPECT_EQ(count<RemoveVips>(d.log), 1);
  d.clear();
  d.run_for(10s);
  EXPECT_TRUE(d.log.empty());
}

// A master at 200 with advert_int 0.1, as the appliance runs it.
Driver master_at_200(Params p = v3(100ms, 200)) {
  Driver d(p);
  d.step(Start{});
  d.run_for(1s);
  EXPECT_EQ(d.m.state(), State::master);
  d.clear();
  return d;
}

TEST(Failover, KeepsTheVipsAndSaysPriorityZeroUntilTheNewMasterSpeaks) {
  Driver d = master_at_200();
  d.step(Failover{});
  // Make before break: still MASTER with the VIPs, but leaving.
  EXPECT_EQ(d.m.state(), State::master);
  EXPECT_TRUE(d.m.handing_over());
  EXPECT_EQ(adverts(d.log), std::vector<int>{0});
  EXPECT_EQ(count<RemoveVips>(d.log), 0);
  EXPECT_FALSE(last_transition(d.log));
  // Priority 0 again every interval (a lost one must not cost
  // Master_Down_Interval), never our own priority.
  d.run_for(350ms);
  EXPECT_EQ(adverts(d.log), (std::vector<int>{0, 0, 0, 0}));
  EXPECT_EQ(count<RemoveVips>(d.log), 0);
  // The peer took over: its first advert is what makes us let go.
  d.clear();
  d.advert(kLow, 100, 100ms);
  EXPECT_EQ(d.m.state(), State::backup);
  EXPECT_FALSE(d.m.handing_over());
  EXPECT_EQ(count<RemoveVips>(d.log), 1);
  EXPECT_TRUE(adverts(d.log).empty());
  EXPECT_EQ(last_transition(d.log)->reason, "failover: handed over to 198.18.0.1 (priority 100)");
  EXPECT_EQ(*d.m.master(), kLow);
  EXPECT_EQ(d.m.master_priority(), 100);
  EXPECT_FALSE(d.m.deadline(Timer::handover));
  EXPECT_FALSE(d.m.deadline(Timer::adver));
}

TEST(Failover, DoesNotPreemptBackAfterHandingOver) {
  Driver d = master_at_200();
  d.step(Failover{});
  d.run_for(60ms);
  // The peer (lower priority) takes over and we follow it.
  for (int i = 0; i < 50; ++i) {
    d.advert(kLow, 100, 100ms);
    d.run_for(100ms);
  }
  EXPECT_EQ(d.m.state(), State::backup);
  // If it goes away, we take over again as usual.
  d.run_for(1s);
  EXPECT_EQ(d.m.state(), State::master);
  EXPECT_FALSE(d.m.handing_over());
}

TEST(Failover, WithoutAPeerLetsGoAfterFourIntervalsAndComesBack) {
  Driver d = master_at_200();
  d.step(Failover{});
  EXPECT_EQ(d.m.handover_timeout(), 400ms);
  // Longer than the Master_Down_Interval of any backup (priority 1: 300 ms +
  // 255/256 of 100 ms), so that a peer that missed every priority 0 still
  // takes over before we let go.
  EXPECT_GT(d.m.handover_timeout(), StateMachine(v3(100ms, 1)).master_down_interval());
  d.run_for(400ms - 1us);
  EXPECT_EQ(d.m.state(), State::master);
  EXPECT_EQ(count<RemoveVips>(d.log), 0);
  d.run_for(1us);
  EXPECT_EQ(d.m.state(), State::backup);
  EXPECT_EQ(count<RemoveVips>(d.log), 1);
  EXPECT_EQ(last_transition(d.log)->reason, "failover: no new master heard within 400 ms");
  EXPECT_FALSE(d.m.master());
  // Alone: back after Master_Down_Interval, as a node that hears nobody does.
  d.run_for(d.m.master_down_interval());
  EXPECT_EQ(d.m.state(), State::master);
}

TEST(Failover, NoGratuitousArpOfOursWhileHandingOver) {
  Params p = v3(100ms, 200);
  p.garp_delay = 50ms;
  p.garp_refresh = 100ms;
  Driver d(p);
  d.step(Start{});
  d.run_for(305ms + d.m.master_down_interval());  // master, between two refreshes
  ASSERT_EQ(d.m.state(), State::master);
  d.clear();
  d.step(Failover{});
  d.advert(kHigh, 250, 100ms);  // a lower-priority master would be answered with ARP; not now
  EXPECT_EQ(count<Announce>(d.log), 0);
  Driver e(p);
  e.step(Start{});
  e.run_for(305ms + e.m.master_down_interval());
  e.clear();
  e.step(Failover{});
  e.run_for(390ms);
  EXPECT_EQ(count<Announce>(e.log), 0);
  EXPECT_EQ(e.m.state(), State::master);
}

TEST(Failover, ShutdownOrFaultWhileHandingOverReleaseAtOnce) {
  Driver d = master_at_200();
  d.step(Failover{});
  d.clear();
  d.step(Stop{});
  EXPECT_EQ(d.m.state(), State::stopped);
  EXPECT_EQ(adverts(d.log), std::vector<int>{0});
  EXPECT_EQ(count<RemoveVips>(d.log), 1);
  for (int i = 0; i < kTimerCount; ++i) EXPECT_FALSE(d.m.deadline(static_cast<Timer>(i)));

  Driver f = master_at_200();
  f.step(Failover{});
  f.clear();
  f.step(Health{200, true, "balancer down"});
  EXPECT_EQ(f.m.state(), State::fault);
  EXPECT_EQ(count<RemoveVips>(f.log), 1);
  EXPECT_FALSE(f.m.handing_over());
  f.clear();
  f.run_for(1s);
  EXPECT_TRUE(f.log.empty());
}

TEST(Failover, RepeatedRequestsAndOtherLeaversChangeNothing) {
  Driver d = master_at_200();
  d.step(Failover{});
  const auto deadline = d.m.deadline(Timer::handover);
  d.clear();
  d.run_for(150ms);
  d.step(Failover{});                   // the operator asks again
  d.advert(kHigh, 0, 100ms);            // another router leaving
  d.step(Reconfigure{v3(200ms, 200)});  // a reload with a new interval
  EXPECT_EQ(d.m.deadline(Timer::handover), deadline);
  EXPECT_EQ(d.m.state(), State::master);
  EXPECT_TRUE(d.m.handing_over());
  for (int prio : adverts(d.log)) EXPECT_EQ(prio, 0);
  EXPECT_EQ(count<RemoveVips>(d.log), 0);
}

TEST(Failover, ASyncGroupSiblingLeavingDoesNotCutTheHandOverShort) {
  Driver d = master_at_200();
  d.step(Failover{});
  d.step(SyncTo{State::backup, "sync group G: VI_2 became BACKUP"});
  EXPECT_EQ(d.m.state(), State::master);
  EXPECT_EQ(count<RemoveVips>(d.log), 0);
  d.advert(kLow, 100, 100ms);
  EXPECT_EQ(d.m.state(), State::backup);
}

TEST(Backup, AfterPriorityZeroTakesTheAddressesAndAnnouncesBeforeItAdvertises) {
  Driver d(v3(100ms, 100));
  d.step(Start{});
  d.advert(kLow, 200, 100ms);
  d.advert(kLow, 0, 100ms);
  d.clear();
  d.run_for(100ms);
  ASSERT_EQ(d.m.state(), State::master);
  // A master handing over lets go on our advert: clients must be pointed
  // here by then.
  auto first = [&](auto pred) { return std::find_if(d.log.begin(), d.log.end(), pred) - d.log.begin(); };
  const auto add = first([](const Action& a) { return std::holds_alternative<AddVips>(a); });
  const auto arp = first([](const Action& a) { return std::holds_alternative<Announce>(a); });
  const auto adv = first([](const Action& a) { return std::holds_alternative<SendAdvert>(a); });
  EXPECT_LT(add, arp);
  EXPECT_LT(arp, adv);
  EXPECT_EQ(adverts(d.log), std::vector<int>{100});
}

// Two machines on one wire: every advert one sends reaches the other at once;
// the addresses each holds are tracked from AddVips/RemoveVips.
struct Pair {
  ManualClock clock;
  StateMachine a{v3(100ms, 150)};
  StateMachine b{v3(100ms, 100)};
  bool a_holds = false, b_holds = false;
  bool both_dropped_at_once = false;  // some instant with no holder after the first take-over
  bool ever_held = false;
  std::vector<std::string> order;  // "a+", "b+", "a-", "b-", in the order they happen

  Pair() {
    a.step(SelfAddress{kHigh}, clock.now());
    b.step(SelfAddress{kLow}, clock.now());
  }
  void feed(StateMachine& to, const Event& e) {
    const bool is_a = &to == &a;
    for (const Action& act : to.step(e, clock.now())) {
      bool& held = is_a ? a_holds : b_holds;
      if (std::holds_alternative<AddVips>(act)) {
        held = ever_held = true;
        order.push_back(is_a ? "a+" : "b+");
      } else if (std::holds_alternative<RemoveVips>(act)) {
        held = false;
        order.push_back(is_a ? "a-" : "b-");
        if (ever_held && !a_holds && !b_holds) both_dropped_at_once = true;
      } else if (auto* s = std::get_if<SendAdvert>(&act)) {
        feed(is_a ? b : a, AdvertIn{is_a ? kHigh : kLow, s->priority, 100ms});
      }
    }
  }
  void run_for(std::chrono::nanoseconds d) {
    const SteadyTime end = clock.now() + d;
    for (;;) {
      std::optional<std::pair<SteadyTime, std::pair<StateMachine*, Timer>>> best;
      for (StateMachine* m : {&a, &b})
        for (int i = 0; i < kTimerCount; ++i)
          if (auto t = m->deadline(static_cast<Timer>(i)); t && (!best || *t < best->first))
            best = {{*t, {m, static_cast<Timer>(i)}}};
      if (!best || best->first > end) break;
      clock.advance(best->first - clock.now());
      feed(*best->second.first, TimerFired{best->second.second});
    }
    clock.advance(end - clock.now());
  }
};

TEST(Failover, ThePairAlwaysHasAHolderAndTheNewOneAddsBeforeTheOldOneRemoves) {
  Pair p;
  p.feed(p.a, Start{});
  p.feed(p.b, Start{});
  p.run_for(1s);
  ASSERT_EQ(p.a.state(), State::master);
  ASSERT_EQ(p.b.state(), State::backup);
  p.order.clear();
  p.feed(p.a, Failover{});
  p.run_for(1s);
  EXPECT_EQ(p.a.state(), State::backup);
  EXPECT_EQ(p.b.state(), State::master);
  EXPECT_EQ(p.order, (std::vector<std::string>{"b+", "a-"}));
  EXPECT_FALSE(p.both_dropped_at_once);
  // And back: b (lower priority) hands over to a the same way; a, yielding
  // no more once it hears b, takes it.
  p.order.clear();
  p.feed(p.b, Failover{});
  p.run_for(1s);
  EXPECT_EQ(p.a.state(), State::master);
  EXPECT_EQ(p.b.state(), State::backup);
  EXPECT_EQ(p.order, (std::vector<std::string>{"a+", "b-"}));
  EXPECT_FALSE(p.both_dropped_at_once);
  // Shutdown stays RFC 5798: the VIPs go at once and b takes over after Skew_Time.
  p.order.clear();
  p.feed(p.a, Stop{});
  EXPECT_EQ(p.order, std::vector<std::string>{"a-"});
  p.run_for(p.b.skew_time());
  EXPECT_EQ(p.b.state(), State::master);
}

TEST(RogueOwner, HigherAddressedOwnerWinsAtOnce) {
  Driver d(v3(1s, 255));
  d.step(Start{});
  d.advert(kHigh, 255);
  EXPECT_EQ(d.m.state(), State::backup);
}

TEST(RogueOwner, ALowerAddressedOwnerThatWillNotYieldMakesUsYield) {
  Driver d(v3(1s, 255));
  d.step(Start{});
  // It is an RFC owner that ignores our adverts: it keeps sending 255.
  for (int i = 0; i < 5 && d.m.state() == State::master; ++i) {
    d.advert(kLow, 255);
    d.run_for(1s);
  }
  EXPECT_EQ(d.m.state(), State::backup);
  EXPECT_EQ(d.m.priority(), 254);
  // It disappears: we take over with our real priority.
  d.run_for(5s);
  EXPECT_EQ(d.m.state(), State::master);
  EXPECT_EQ(d.m.priority(), 255);
}

TEST(RogueOwner, OneThatYieldsLeavesUsMaster) {
  Driver d(v3(1s, 255));
  d.step(Start{});
  d.advert(kLow, 255);  // once, then it backs off (keepalived on the other side)
  d.run_for(10s);
  EXPECT_EQ(d.m.state(), State::master);
  EXPECT_EQ(d.m.priority(), 255);
}

TEST(Timers, AStaleTimerIsIgnored) {
  Driver d(v3(1s, 100));
  d.step(Start{});
  d.run_for(1s);
  d.advert(kLow, 150);                                // moves master_down three seconds on
  auto out = d.step(TimerFired{Timer::master_down});  // the old timer, delivered late
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(d.m.state(), State::backup);
  out = d.step(TimerFired{Timer::adver});  // not armed at all
  EXPECT_TRUE(out.empty());
}

TEST(SyncGroup, FollowsAMemberToMasterAndBack) {
  Driver d(v3(1s, 100));
  d.step(Start{});
  d.step(SyncTo{State::master, "sync group G: VI_2 became MASTER"});
  EXPECT_EQ(d.m.state(), State::master);
  d.clear();
  d.step(SyncTo{State::backup, "sync group G: VI_2 became BACKUP"});
  EXPECT_EQ(d.m.state(), State::backup);
  EXPECT_TRUE(adverts(d.log).empty());
  EXPECT_EQ(count<RemoveVips>(d.log), 1);
}

TEST(V2, AdvertIntervalInPacketsDoesNotChangeTimers) {
  Params p = v3(1s, 100);
  p.version = 2;
  Driver d(p);
  d.step(Start{});
  d.advert(kLow, 150, 5s);
  EXPECT_EQ(d.m.master_down_interval(), 3s + 609375us);
}

}  // namespace
}  // namespace tandem::vrrpd::fsm
