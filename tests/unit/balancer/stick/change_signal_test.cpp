// ChangeSignal: an armed watcher is woken by notify(); a Hold defers this
// thread's notify() calls on its signal to one at the Hold's end.
#include <gtest/gtest.h>

#include <chrono>

#include "balancer/stick/change_signal.h"

namespace tandem::balancer::stick {
namespace {

using namespace std::chrono_literals;

bool woken(ChangeSignal& s, std::uint64_t seen) {
  return s.wait_until(seen, std::chrono::steady_clock::now());  // no waiting: has the generation moved?
}

TEST(ChangeSignal, NotifyWakesAnArmedWatcherOnce) {
  ChangeSignal s;
  const auto g = s.arm();
  EXPECT_FALSE(woken(s, g));
  s.notify();
  EXPECT_TRUE(woken(s, g));
  const auto g2 = s.arm();
  s.notify();
  s.notify();  // disarmed by the first
  EXPECT_TRUE(woken(s, g2));
  EXPECT_FALSE(woken(s, g2 + 1));
}

TEST(ChangeSignal, AHoldDefersNotifiesToItsEnd) {
  ChangeSignal s;
  const auto g = s.arm();
  {
    ChangeSignal::Hold hold(s);
    s.notify();
    s.notify();
    EXPECT_FALSE(woken(s, g));
  }
  EXPECT_TRUE(woken(s, g));
  EXPECT_FALSE(woken(s, g + 1));  // one wake for the two
}

TEST(ChangeSignal, AHoldWithoutNotifiesWakesNobody) {
  ChangeSignal s;
  const auto g = s.arm();
  { ChangeSignal::Hold hold(s); }
  EXPECT_FALSE(woken(s, g));
  s.notify();  // still armed
  EXPECT_TRUE(woken(s, g));
}

TEST(ChangeSignal, AHoldOnAnotherSignalDefersNothingHere) {
  ChangeSignal a, b;
  const auto ga = a.arm();
  const auto gb = b.arm();
  std::uint64_t gb2 = 0;
  {
    ChangeSignal::Hold hold(b);
    a.notify();
    EXPECT_TRUE(woken(a, ga));
    b.notify();
    EXPECT_FALSE(woken(b, gb));
    {
      // Nested, on another signal: one signal is held per thread, so b's
      // notify goes through at once (a wake may come early, never late).
      ChangeSignal::Hold inner(a);
      b.notify();
      EXPECT_TRUE(woken(b, gb));
    }
    gb2 = b.arm();
    b.notify();  // b's hold is back, and remembers the earlier notify
    EXPECT_FALSE(woken(b, gb2));
  }
  EXPECT_TRUE(woken(b, gb2));
}

}  // namespace
}  // namespace tandem::balancer::stick
