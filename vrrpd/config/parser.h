#pragma once
// keepalived's configuration language -> config::Config. A keyword we do not
// support, or a value out of range, is an error "FILE:LINE: keyword: why";
// nothing is skipped or replaced by a default silently.

#include <string>
#include <vector>

#include "common/error.h"
#include "vrrpd/config/block_lexer.h"
#include "vrrpd/config/model.h"

namespace tandem::vrrpd::config {

Result<Config> parse(const std::vector<Node>& nodes);
Result<Config> load(const std::string& path);

}  // namespace tandem::vrrpd::config
