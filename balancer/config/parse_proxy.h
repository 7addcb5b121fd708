#pragma once
// Keywords of `defaults`, `frontend`, `backend` and `listen` sections.

#include "balancer/config/model.h"
#include "balancer/config/parse_util.h"

namespace tandem::balancer::config {

// What a section can hold, as HAProxy's PR_CAP_* flags.
enum Cap : unsigned { kCapFrontend = 1, kCapBackend = 2, kCapDefaults = 4 };

// Parses one line into `p`. `caps` are the section's capabilities; `section`
// names it for messages ("frontend 'web'").
Result<void> parse_proxy_line(Proxy& p, unsigned caps, std::string_view section, const Line& l);

}  // namespace tandem::balancer::config
