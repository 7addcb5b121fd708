#pragma once
// peersync.conf: the balancer's lexical rules (common/config/lexer.h), one
// directive per line:
//   node NAME | listen IP:PORT | admin-socket PATH | balancer-socket PATH |
//   vrrpd-socket PATH | peer NAME IP:PORT | tls cert F key F ca F | tls off
// TLS must be configured or switched off in writing; plaintext is never a default.

#include <string>
#include <vector>

#include "common/config/lexer.h"
#include "common/error.h"
#include "peersync/config/model.h"

namespace tandem::peersync::config {

// `file` names the configuration in messages about a directive that is missing.
Result<Config> parse(const std::vector<tandem::config::Line>& lines, const std::string& file);
Result<Config> load(const std::string& path, const tandem::config::EnvLookup& env = tandem::config::process_env);

}  // namespace tandem::peersync::config
