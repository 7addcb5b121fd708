#include "peersync/replication/backoff.h"

#include <algorithm>

namespace tandem::peersync {

Millis Backoff::next(const RandomSource& random) {
  long long d = base_.count();
  for (int i = 0; i < attempt_ && d < cap_.count(); ++i) d *= 2;
  d = std::min<long long>(d, cap_.count());
  ++attempt_;
  const long long half = d / 2;
  const long long span = d - half + 1;
  return Millis(half + static_cast<long long>(random() % static_cast<std::uint64_t>(span)));
}

}  // namespace tandem::peersync
