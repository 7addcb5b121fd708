#pragma once
// What a reload keeps of the servers it finds again (same backend, same
// server name): the state an operator set at run time. A change made with
// `set server`, `disable server`, tandemctl or the stats page survives a
// reload unless the new configuration itself changed that setting: then the
// file wins, as it is the newer word. (Health is carried by the checker,
// health/checker.h.)

#include <cstddef>

#include "balancer/runtime/runtime.h"

namespace tandem::balancer::runtime {

struct CarryReport {
  std::size_t matched = 0;  // servers found in both configurations
  std::size_t admin = 0;    // operator-set MAINT/DRAIN/READY carried
  std::size_t weight = 0;   // operator-set weights carried
};

CarryReport carry_server_state(const Runtime& before, Runtime& after);

}  // namespace tandem::balancer::runtime
