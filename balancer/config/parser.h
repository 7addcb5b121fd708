#pragma once
// HAProxy's configuration language -> config::Config.
//
// Errors read "FILE:LINE: KEYWORD: what is wrong" and stop the load: a keyword
// we do not support is never skipped silently.

#include <string>
#include <vector>

#include "balancer/config/model.h"
#include "common/config/lexer.h"
#include "common/error.h"

namespace tandem::balancer::config {

// Parses lexed lines (of one or several files, in order).
Result<Config> parse(const std::vector<tandem::config::Line>& lines);

// Lexes and parses files in order; a directory loads its *.cfg files sorted by
// name, as HAProxy's -f does.
Result<Config> load(const std::vector<std::string>& paths,
                    const tandem::config::EnvLookup& env = tandem::config::process_env);

}  // namespace tandem::balancer::config
