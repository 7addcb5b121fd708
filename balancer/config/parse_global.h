#pragma once
// The `global` section's keywords.

#include "balancer/config/model.h"
#include "balancer/config/parse_util.h"

namespace tandem::balancer::config {

// Parses one line of the `global` section into `g`.
Result<void> parse_global_line(Global& g, const Line& l);

// `log ...` as global and proxies write it (not `log global`).
Result<LogTarget> parse_log_target(const Line& l);

}  // namespace tandem::balancer::config
