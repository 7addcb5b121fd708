#pragma once
// `bind ADDR[:PORT[-PORT]][,ADDR...] [params]`: one Bind per address and port.

#include <vector>

#include "balancer/config/model.h"
#include "balancer/config/parse_util.h"

namespace tandem::balancer::config {

Result<std::vector<Bind>> parse_bind_line(const Line& l);

}  // namespace tandem::balancer::config
