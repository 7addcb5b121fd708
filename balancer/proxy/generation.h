#pragma once
// One loaded configuration, running: its runtime (frontends, backends,
// servers, rules), its health checker, its traffic logs and what the stats
// page reads. A reload builds the next generation beside the current one and
// swaps them; the old one finishes the connections it has and is destroyed
// when none remain (proxy/balancer.h).

#include <cstdint>
#include <memory>
#include <vector>

#include "balancer/health/checker.h"
#include "balancer/logging/traffic_log.h"
#include "balancer/runtime/runtime.h"
#include "balancer/stats/stats_source.h"

namespace tandem::balancer::proxy {

struct Generation {
  std::uint64_t number = 0;  // 1: the configuration loaded at start
  std::int64_t loaded_unix_ms = 0;
  // Destroyed last to first: the logs, the stats source and the checker all
  // point into the runtime.
  std::unique_ptr<runtime::Runtime> runtime;
  std::unique_ptr<health::Checker> checker;
  std::unique_ptr<stats::StatsSource> stats;
  std::vector<std::unique_ptr<logging::TrafficLog>> logs;
};

}  // namespace tandem::balancer::proxy
