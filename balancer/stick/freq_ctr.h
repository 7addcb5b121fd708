#pragma once
// HAProxy's frequency counter (include/haproxy/freq_ctr.h, src/freq_ctr.c):
// events counted in the current period plus the previous period's count; the
// rate over a sliding window of one period is
//
//     current + previous * (time left in the current period) / period
//
// Periods are aligned on the first event after an idle spell: an update that
// finds the current period over rotates it (previous = current); one that
// finds two periods or more over starts a fresh period at `now`.
//
// 12 bytes, no atomics: the stick table updates it under its shard lock.

#include <cstdint>
#include <limits>

#include "balancer/stick/stick_time.h"

namespace tandem::balancer::stick {

struct FreqCtr {
  std::uint32_t tick = 0;  // start of the current period
  std::uint32_t curr = 0;  // events in the current period
  std::uint32_t prev = 0;  // events in the previous period
};

// The replicable state of a counter at `now`: normalized so that age < period
// (a counter whose period is over reports what a rotation would give).
struct RateState {
  std::uint32_t current = 0;
  std::uint32_t previous = 0;
  std::uint32_t age_ms = 0;  // how far into the current period
};

inline std::uint32_t sat_add32(std::uint32_t a, std::uint64_t b) {
  std::uint64_t s = static_cast<std::uint64_t>(a) + b;
  return s > std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                       : static_cast<std::uint32_t>(s);
}

// Adds `inc` events at `now` (HAProxy's update_freq_ctr_period). Counts
// saturate at 2^32-1 instead of wrapping.
inline void freq_update(FreqCtr& c, std::uint32_t period, std::uint32_t now, std::uint64_t inc) {
  if (now - c.tick < period) {
    c.curr = sat_add32(c.curr, inc);
    return;
  }
  c.prev = c.curr;
  c.curr = sat_add32(0, inc);
  c.tick += period;
  if (now - c.tick >= period) {  // two periods or more went by: nothing to carry
    c.prev = 0;
    c.tick = now;
  }
}

// Events over the sliding period ending at `now` (HAProxy's
// read_freq_ctr_period: floor of (prev * remain + curr * period) / period).
inline std::uint32_t freq_read(const FreqCtr& c, std::uint32_t period, std::uint32_t now) {
  std::uint64_t curr = c.curr, past = c.prev;
  std::int64_t remain = static_cast<std::int64_t>(tick_diff(now, c.tick + period));
  if (remain < 0) {  // the current period is over: it becomes the past one
    remain += period;
    past = remain >= 0 ? curr : 0;
    curr = 0;
  }
  if (remain < 0) remain = 0;
  std::uint64_t total = past * static_cast<std::uint64_t>(remain) + curr * period;
  std::uint64_t rate = total / period;
  return rate > std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                          : static_cast<std::uint32_t>(rate);
}

inline RateState freq_state(const FreqCtr& c, std::uint32_t period, std::uint32_t now) {
  std::uint32_t age = now - c.tick;
  if (age < period) return RateState{c.curr, c.prev, age};
  if (age - period < period) return RateState{0, c.curr, age - period};
  return RateState{};
}

// The counter that reports `s` at `now`. An age of a period or more is
// normalized as freq_state would, so absurd inputs cannot break the invariant.
inline FreqCtr freq_from_state(RateState s, std::uint32_t period, std::uint32_t now) {
  if (s.age_ms >= period) {
    if (s.age_ms - period < period)
      s = RateState{0, s.current, s.age_ms - period};
    else
      s = RateState{};
  }
  return FreqCtr{now - s.age_ms, s.current, s.previous};
}

}  // namespace tandem::balancer::stick
