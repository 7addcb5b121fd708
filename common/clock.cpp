#include "common/clock.h"

namespace tandem {

SystemClock& SystemClock::instance() {
  static SystemClock clock;
  return clock;
}

ManualClock::ManualClock()
    : steady_(SteadyTime(std::chrono::hours(1000))),
      wall_(WallTime(std::chrono::seconds(1'800'000'000))) {}

}  // namespace tandem
