#pragma once
// Helpers shared by the balancer's keyword parsers. Every error they make reads
// "FILE:LINE: KEYWORD: what is wrong".

#include <cstdint>
#include <string>
#include <string_view>

#include "balancer/config/model.h"
#include "common/config/lexer.h"
#include "common/error.h"

namespace tandem::balancer::config {

using tandem::config::Line;

// "FILE:LINE: KEYWORD: msg"; `keyword` defaults to the line's first word(s).
std::string line_error(const Line& l, std::string_view msg);
std::string keyword_error(const Line& l, std::string_view keyword, std::string_view msg);

inline Origin origin_of(const Line& l) { return Origin{l.file, l.number}; }

// Argument i of the line as a number in [min, max].
Result<std::uint32_t> arg_u32(const Line& l, size_t i, std::string_view keyword, std::uint32_t min, std::uint32_t max);
// Argument i as a time (default unit ms).
Result<Millis> arg_time(const Line& l, size_t i, std::string_view keyword);
// Argument i as a size (k, m, g).
Result<std::uint64_t> arg_size(const Line& l, size_t i, std::string_view keyword, std::uint64_t min, std::uint64_t max);

// Exactly n arguments after the keyword words (`skip` words are the keyword).
Result<void> expect_args(const Line& l, size_t skip, size_t n, std::string_view what);

// Parses "ADDR" or "ADDR:PORT" as a server or bind address: numeric IPv4,
// [IPv6] or bare IPv6 with the port after the last colon. `port_required`:
// a missing port is an error. No host names: these machines have no DNS, and
// a configuration must not depend on it at load time.
struct ParsedAddress {
  std::string host;  // numeric, no brackets; "" for "*" or empty (any)
  std::uint16_t port_lo = 0;
  std::uint16_t port_hi = 0;  // == port_lo unless a range
  bool ipv6 = false;
};
Result<ParsedAddress> parse_address(std::string_view text, bool port_required, bool allow_range, bool allow_any);

}  // namespace tandem::balancer::config
