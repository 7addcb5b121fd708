#pragma once
// Health-check keywords: `option httpchk`, `http-check send|expect|
// disable-on-404`, `option tcp-check`, `tcp-check connect|send|send-binary|
// expect`.

#include "balancer/config/model.h"
#include "balancer/config/parse_util.h"

namespace tandem::balancer::config {

// `option httpchk [METHOD URI [VERSION]]` (words after "httpchk"), including
// the old one-string form where VERSION carries "\r\nHeader: value" lines.
Result<void> parse_option_httpchk(CheckSpec& c, const Line& l, size_t first_arg);
Result<void> parse_http_check(CheckSpec& c, const Line& l);
Result<void> parse_tcp_check(CheckSpec& c, const Line& l);

// Parses "200", "200-399", "200,301-302" into code ranges.
bool parse_status_list(std::string_view text, std::vector<std::pair<int, int>>& out);

}  // namespace tandem::balancer::config
