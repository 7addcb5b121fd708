#pragma once
// The observability keywords of proxy sections: `stats ...` (the stats page),
// `capture request|response header`, and `log-format`.

#include "balancer/config/model.h"
#include "balancer/config/parse_util.h"

namespace tandem::balancer::config {

// `stats enable|uri|refresh|auth|realm|admin|hide-version|show-legends|...`.
// `stats admin if|unless COND` is kept in p.rules for the rule compiler;
// `in_defaults`: the line is in a defaults section (where admin is refused).
Result<void> parse_stats_line(Proxy& p, const Line& l, bool in_defaults);

// `capture request header NAME len N` / `capture response header NAME len N`.
Result<void> parse_capture_line(Proxy& p, const Line& l);

// `log-format STRING`: the syntax is checked when the log line is compiled.
Result<void> parse_log_format_line(Proxy& p, const Line& l);

}  // namespace tandem::balancer::config
