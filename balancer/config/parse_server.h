#pragma once
// `server NAME ADDR[:PORT] [params]` and `default-server [params]`.

#include "balancer/config/model.h"
#include "balancer/config/parse_util.h"

namespace tandem::balancer::config {

// Applies server parameters words[from..] to `p`.
Result<void> parse_server_params(ServerParams& p, const Line& l, size_t from, bool is_default, std::uint32_t* id);

// A whole `server` line; `defaults` are the backend's default-server params.
Result<Server> parse_server_line(const Line& l, const ServerParams& defaults);

}  // namespace tandem::balancer::config
