#pragma once
// Time, injected: logic takes a Clock& so tests step time by hand (ManualClock)
// and never sleep.

#include <chrono>

namespace tandem {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time: intervals, timers, expiry.
  virtual SteadyTime now() const = 0;
  // Calendar time: log stamps, origin timestamps that cross machines.
  virtual WallTime wall() const = 0;
};

class SystemClock final : public Clock {
 public:
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
  WallTime wall() const override { return std::chrono::system_clock::now(); }
  // The process-wide instance, for main() to inject.
  static SystemClock& instance();
};

// A clock that moves only when told to. Starts at an arbitrary fixed point so
// that tests never depend on the real time.
class ManualClock final : public Clock {
 public:
  ManualClock();
  SteadyTime now() const override { return steady_; }
  WallTime wall() const override { return wall_; }
  void advance(std::chrono::nanoseconds d) {
    steady_ += d;
    wall_ += std::chrono::duration_cast<WallTime::duration>(d);
  }

 private:
  SteadyTime steady_;
  WallTime wall_;
};

// Milliseconds since the Unix epoch.
inline long long unix_ms(WallTime t) {
  return std::chrono::duration_cast<Millis>(t.time_since_epoch()).count();
}

}  // namespace tandem
