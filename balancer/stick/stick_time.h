#pragma once
// Time on the stick-table data path: 32-bit wrapping millisecond ticks, as
// HAProxy's now_ms. An entry keeps its expiry and each rate counter's period
// start in 4 bytes instead of 8; comparisons are wrap-safe as long as the two
// instants compared are less than 2^31 ms (24.8 days) apart, which `expire`
// (at most 2147483647 ms) and the periodic expiry sweep guarantee for expiry.
// A rate counter untouched for more than 24.8 days in a table without expiry
// may read as recent again (HAProxy has the same limit).

#include <chrono>
#include <cstdint>

#include "balancer/stick/stick_types.h"
#include "common/clock.h"

namespace tandem::balancer::stick {

// Samples the clock once; workers do this per event-loop iteration and pass
// the result to every stick-table call of that iteration.
inline StickNow stick_now(const Clock& clock) {
  auto steady = std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch()).count();
  auto wall = std::chrono::duration_cast<std::chrono::microseconds>(clock.wall().time_since_epoch()).count();
  return StickNow{static_cast<std::uint32_t>(steady), static_cast<std::int64_t>(wall)};
}

inline std::uint32_t tick_add(std::uint32_t tick, std::uint32_t ms) { return tick + ms; }

// Signed distance from `a` to `b` (b - a), wrap-safe.
inline std::int32_t tick_diff(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(b - a); }

// True when `expire` is at or before `now`.
inline bool tick_expired(std::uint32_t expire, std::uint32_t now) { return tick_diff(expire, now) >= 0; }

// Milliseconds from `now` until `expire`, 0 when past.
inline std::uint32_t tick_remain(std::uint32_t now, std::uint32_t expire) {
  std::int32_t d = tick_diff(now, expire);
  return d > 0 ? static_cast<std::uint32_t>(d) : 0;
}

}  // namespace tandem::balancer::stick
