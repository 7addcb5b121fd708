#pragma once
// HAProxy's predefined ACLs (TRUE, FALSE, LOCALHOST, METH_*): usable by name
// in any condition without an `acl` line, e.g. `stats admin if LOCALHOST`.

#include <memory>
#include <string_view>
#include <vector>

#include "balancer/rules/acl.h"

namespace tandem::balancer::rules {

// The predefined ACL named `name`, or null. A section's own `acl NAME` lines
// take precedence (AclSet::find looks there first).
const std::vector<std::shared_ptr<const Acl>>* predefined_acl(std::string_view name);

}  // namespace tandem::balancer::rules
