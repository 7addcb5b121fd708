#pragma once
// `userlist` and `peers` sections.

#include "balancer/config/model.h"
#include "balancer/config/parse_util.h"

namespace tandem::balancer::config {

Result<void> parse_userlist_line(Userlist& u, const Line& l);
Result<void> parse_peers_line(PeersSection& p, const Line& l);

}  // namespace tandem::balancer::config
