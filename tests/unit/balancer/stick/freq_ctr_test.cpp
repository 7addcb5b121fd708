// HAProxy's frequency counter, checked against values computed by hand from
// its definition: rate = curr + prev * remain / period (floored).
#include "balancer/stick/freq_ctr.h"

#include <gtest/gtest.h>

namespace tandem::balancer::stick {
namespace {

constexpr std::uint32_t P = 10000;  // a 10 s period

TEST(FreqCtr, CountsWithinTheCurrentPeriod) {
  FreqCtr c{1000, 0, 0};
  for (int i = 0; i < 5; ++i) freq_update(c, P, 1000, 1);
  EXPECT_EQ(c.curr, 5u);
  EXPECT_EQ(freq_read(c, P, 1000), 5u);
  EXPECT_EQ(freq_read(c, P, 10999), 5u);  // remain 1 ms: 5*10000/10000
}

TEST(FreqCtr, RotationCarriesThePreviousPeriodProportionally) {
  FreqCtr c{1000, 5, 0};
  freq_update(c, P, 11000, 1);  // exactly one period later: rotate
  EXPECT_EQ(c.tick, 11000u);
  EXPECT_EQ(c.prev, 5u);
  EXPECT_EQ(c.curr, 1u);
  EXPECT_EQ(freq_read(c, P, 11000), 6u);  // 1 + 5 * 10000/10000
  EXPECT_EQ(freq_read(c, P, 16000), 3u);  // (5*5000 + 1*10000) / 10000 = 3.5
  EXPECT_EQ(freq_read(c, P, 19000), 2u);  // (5*2000 + 10000) / 10000 = 2
  EXPECT_EQ(freq_read(c, P, 21000), 1u);  // remain 0: only curr
  EXPECT_EQ(freq_read(c, P, 21001), 0u);  // curr becomes past: 1*9999/10000
  EXPECT_EQ(freq_read(c, P, 26000), 0u);  // 1 * 5000 / 10000
  EXPECT_EQ(freq_read(c, P, 40000), 0u);
}

TEST(FreqCtr, ReadBetweenOneAndTwoPeriodsUsesCurrentAsPast) {
  FreqCtr c{0, 100, 40};
  // remain = 0 + 10000 - 15000 = -5000 -> 5000 left of the next period; past = 100.
  EXPECT_EQ(freq_read(c, P, 15000), 50u);
}

TEST(FreqCtr, UpdateAfterOneToTwoPeriodsKeepsAlignment) {
  FreqCtr c{11000, 1, 5};
  freq_update(c, P, 25000, 3);  // 14 s later: rotate once, period starts at 21000
  EXPECT_EQ(c.tick, 21000u);
  EXPECT_EQ(c.prev, 1u);
  EXPECT_EQ(c.curr, 3u);
  EXPECT_EQ(freq_read(c, P, 25000), 3u);  // (1*6000 + 3*10000) / 10000 = 3.6
}

TEST(FreqCtr, UpdateAfterTwoPeriodsStartsAFreshPeriodNow) {
  FreqCtr c{11000, 1, 5};
  freq_update(c, P, 40000, 1);
  EXPECT_EQ(c.tick, 40000u);
  EXPECT_EQ(c.prev, 0u);
  EXPECT_EQ(c.curr, 1u);
  EXPECT_EQ(freq_read(c, P, 40000), 1u);
}

TEST(FreqCtr, WrapsAroundTheTickCounter) {
  const std::uint32_t start = 0xffffffffu - 3000;  // 3 s before the wrap
  FreqCtr c{start, 0, 0};
  freq_update(c, P, start, 10);
  EXPECT_EQ(freq_read(c, P, start + 5000), 10u);  // 2 s after the wrap, same period
  freq_update(c, P, start + 12000, 4);            // next period, across the wrap
  EXPECT_EQ(c.tick, start + 10000);
  EXPECT_EQ(freq_read(c, P, start + 12000), 4u + 10u * 8000 / 10000);
}

TEST(FreqCtr, CountsSaturate) {
  FreqCtr c{0, 0xfffffff0u, 0};
  freq_update(c, P, 1, 1000);
  EXPECT_EQ(c.curr, 0xffffffffu);
}

TEST(FreqCtr, StateRoundTripsAndNormalizes) {
  FreqCtr c{1000, 7, 3};
  RateState s = freq_state(c, P, 4000);
  EXPECT_EQ(s.current, 7u);
  EXPECT_EQ(s.previous, 3u);
  EXPECT_EQ(s.age_ms, 3000u);
  FreqCtr back = freq_from_state(s, P, 90000);  // restored elsewhere, at another tick
  EXPECT_EQ(freq_read(back, P, 90000), freq_read(c, P, 4000));
  EXPECT_EQ(freq_read(back, P, 95000), freq_read(c, P, 9000));

  // A period over: reported as the rotation would leave it.
  s = freq_state(c, P, 13000);
  EXPECT_EQ(s.current, 0u);
  EXPECT_EQ(s.previous, 7u);
  EXPECT_EQ(s.age_ms, 2000u);
  EXPECT_EQ(freq_read(freq_from_state(s, P, 500), P, 500), freq_read(c, P, 13000));
  // Two periods over: nothing.
  s = freq_state(c, P, 21000);
  EXPECT_EQ(s.current + s.previous, 0u);
  // Absurd ages from a peer are normalized, never trusted.
  FreqCtr f = freq_from_state(RateState{5, 5, 4000000000u}, P, 100);
  EXPECT_EQ(freq_read(f, P, 100), 0u);
}

}  // namespace
}  // namespace tandem::balancer::stick
