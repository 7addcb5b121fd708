#pragma once
// Reconnect delays: exponential from `base` to `cap`, each drawn uniformly
// from [delay/2, delay] ("equal jitter") so that two nodes that lost each
// other at the same instant do not redial in lockstep.

#include <cstdint>
#include <functional>

#include "common/clock.h"

namespace tandem::peersync {

// A source of random numbers, injected so tests choose the draws.
using RandomSource = std::function<std::uint64_t()>;

class Backoff {
 public:
  Backoff(Millis base, Millis cap) : base_(base), cap_(cap) {}
  // The delay before the next attempt; each call doubles the next one.
  Millis next(const RandomSource& random);
  // A session got as far as a Welcome: start again from `base`.
  void reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  Millis base_, cap_;
  int attempt_ = 0;
};

}  // namespace tandem::peersync
