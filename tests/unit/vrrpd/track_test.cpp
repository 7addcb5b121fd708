// Trackers: keepalived's priority arithmetic, rise/fall, and the trackers
// driven through their fakes.
#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include "vrrpd/track/balancer_tracker.h"
#include "vrrpd/track/priority.h"
#include "vrrpd/track/rise_fall.h"
#include "vrrpd/track/script_check.h"

namespace tandem::vrrpd::track {
namespace {

using namespace std::chrono_literals;

TrackerInput t(int weight, bool ok, bool reverse = false) {
  return {"t", TrackerKind::script, weight, reverse, ok, ok ? "exit 0" : "exit 1"};
}

struct PriorityCase {
  const char* name;
  int base;
  std::vector<TrackerInput> trackers;
  int priority;
  bool fault;
};

TEST(Priority, KeepalivedArithmetic) {
  const PriorityCase cases[] = {
      {"no trackers", 100, {}, 100, false},
      {"seed script ok: +2", 101, {t(2, true)}, 103, false},
      {"seed script failing: nothing", 101, {t(2, false)}, 101, false},
      {"negative weight ok: nothing", 100, {t(-20, true)}, 100, false},
      {"negative weight failing", 100, {t(-20, false)}, 80, false},
      {"positive reversed ok: subtracts", 100, {t(10, true, true)}, 90, false},
      {"positive reversed failing: nothing", 100, {t(10, false, true)}, 100, false},
      {"negative reversed failing: adds", 100, {t(-10, false, true)}, 110, false},
      {"weight 0 failing: FAULT", 100, {t(0, false)}, 100, true},
      {"weight 0 ok", 100, {t(0, true)}, 100, false},
      {"weight 0 reversed ok: FAULT", 100, {t(0, true, true)}, 100, true},
      {"never below 1", 10, {t(-50, false)}, 1, false},
      {"never 255 by weights", 250, {t(50, true)}, 254, false},
      {"the owner does not move", 255, {t(-50, false)}, 255, false},
      {"the owner still faults", 255, {t(0, false)}, 255, true},
      {"sum", 100, {t(10, true), t(-30, false), t(5, false)}, 80, false},
  };
  for (const auto& c : cases) {
    auto e = combine(static_cast<std::uint8_t>(c.base), c.trackers);
    EXPECT_EQ(e.priority, c.priority) << c.name;
    EXPECT_EQ(e.fault, c.fault) << c.name;
    EXPECT_EQ(e.shares.size(), c.trackers.size()) << c.name;
  }
}

TEST(Priority, FaultReasonNamesTheTracker) {
  auto e = combine(100, {{"eth1", TrackerKind::interface, 0, false, false, "no carrier"}});
  EXPECT_EQ(e.reason, "interface eth1: no carrier");
  EXPECT_TRUE(e.shares[0].causes_fault);
}

TEST(RiseFall, DebouncesBothWays) {
  RiseFall r(2, 3, true);
  EXPECT_FALSE(r.record(false));
  EXPECT_FALSE(r.record(false));
  EXPECT_FALSE(r.record(true));  // the streak breaks
  EXPECT_FALSE(r.record(false));
  EXPECT_FALSE(r.record(false));
  EXPECT_TRUE(r.record(false));  // three in a row
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.record(true));
  EXPECT_TRUE(r.record(true));
  EXPECT_TRUE(r.ok());
}

TEST(ScriptCheck, FirstRunAtStartThenVerdicts) {
  asio::io_context io;
  FakeScriptRunner runner;
  config::Script s;
  s.name = "chk";
  s.command.argv = {"/bin/true"};
  s.interval = 2s;
  s.fall = 2;
  ScriptCheck c(io, runner, s, RunRequest{s.command.argv, -1, -1, {}});
  int changes = 0;
  c.subscribe([&] { ++changes; });
  EXPECT_FALSE(c.known());
  c.start();
  ASSERT_EQ(runner.pending.size(), 1u);
  EXPECT_EQ(runner.pending[0].req.timeout, 2s);  // keepalived: timeout defaults to the interval
  runner.complete({.ok = false, .exit_code = 1});
  EXPECT_TRUE(c.known());
  EXPECT_TRUE(c.ok());  // fall 2: one failure is not enough
  EXPECT_EQ(c.detail(), "exit 1");
  EXPECT_EQ(changes, 1);  // became known
  c.stop();
}

TEST(ScriptCheck, InitFailStartsFailingAndKnown) {
  asio::io_context io;
  FakeScriptRunner runner;
  config::Script s;
  s.command.argv = {"x"};
  s.init_fail = true;
  ScriptCheck c(io, runner, s, {});
  EXPECT_TRUE(c.known());
  EXPECT_FALSE(c.ok());
}

struct BalancerFixture {
  asio::io_context io;
  FakeProber prober;
  FakeHealthWatch* watch = nullptr;
  std::unique_ptr<BalancerTracker> tracker;
  int changes = 0;

  explicit BalancerFixture(bool with_probe) {
    config::BalancerTrack cfg;
    if (with_probe) {
      cfg.probe = HostPort{"127.0.0.1", 8080, false};
      cfg.probe_send = "x";
      cfg.probe_fall = 2;
      cfg.probe_rise = 2;
      cfg.probe_timeout = 100ms;
      cfg.probe_interval = 1ms;  // the next probe is one io_context turn away
    }
    auto w = std::make_unique<FakeHealthWatch>();
    watch = w.get();
    tracker = std::make_unique<BalancerTracker>(io, cfg, std::move(w), &prober);
    tracker->subscribe([this] { ++changes; });
    tracker->start();
  }
};

TEST(BalancerTracker, WatchDecidesAtOnce) {
  BalancerFixture f(false);
  EXPECT_TRUE(f.watch->started);
  EXPECT_FALSE(f.tracker->known());
  f.watch->tell(WatchStatus::serving, "SERVING");
  EXPECT_TRUE(f.tracker->known());
  EXPECT_TRUE(f.tracker->ok());
  f.watch->tell(WatchStatus::broken, "socket closed");
  EXPECT_FALSE(f.tracker->ok());  // no debounce: a dead balancer is dead
  EXPECT_EQ(f.tracker->detail(), "watch broken: socket closed");
  f.watch->tell(WatchStatus::serving);
  f.watch->tell(WatchStatus::not_serving);
  EXPECT_FALSE(f.tracker->ok());
  EXPECT_EQ(f.tracker->detail(), "NOT_SERVING");
}

TEST(BalancerTracker, ProbeCatchesAHungBalancerWithFall) {
  BalancerFixture f(true);
  ASSERT_EQ(f.prober.pending.size(), 1u);  // first probe at start
  EXPECT_EQ(f.prober.pending[0].send, "x");
  f.watch->tell(WatchStatus::serving);
  EXPECT_FALSE(f.tracker->known());  // the probe has not answered yet
  f.prober.complete(true);
  EXPECT_TRUE(f.tracker->known());
  EXPECT_TRUE(f.tracker->ok());
  // Later probes get no answer (a hung balancer still accepts connections).
  auto next_probe = [&] {
    while (f.prober.pending.empty()) f.io.run_one();
  };
  next_probe();
  f.prober.complete(false, "no answer within the probe timeout");
  EXPECT_TRUE(f.tracker->ok());  // probe_fall 2
  next_probe();
  f.prober.complete(false, "no answer within the probe timeout");
  EXPECT_FALSE(f.tracker->ok());
  EXPECT_EQ(f.tracker->detail(), "probe 127.0.0.1:8080: no answer within the probe timeout");
  next_probe();
  f.prober.complete(true);
  EXPECT_FALSE(f.tracker->ok());  // probe_rise 2
  next_probe();
  f.prober.complete(true);
  EXPECT_TRUE(f.tracker->ok());
  f.tracker->stop();
}

}  // namespace
}  // namespace tandem::vrrpd::track
