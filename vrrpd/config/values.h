#pragma once
// Reading the values of keepalived statements. Every error reads
// "FILE:LINE: keyword: what is wrong".

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "vrrpd/config/block_lexer.h"
#include "vrrpd/config/model.h"

namespace tandem::vrrpd::config {

std::string error_at(const Node& n, std::string_view what);
Where where_of(const Node& n);

// The statement has between `min` and `max` arguments after its keyword.
Result<void> arguments(const Node& n, std::size_t min, std::size_t max);
// The statement has no arguments and no block (a flag such as `nopreempt`).
Result<void> flag(const Node& n);
// The statement owns a { ... } block and has no arguments (beyond `allow_args`).
Result<void> block(const Node& n, std::size_t allow_args = 0);

// A whole number in [min, max] from argument `index` (1 is the first).
Result<long long> integer(const Node& n, std::size_t index, long long min, long long max);
// Decimal seconds ("2", "0.1", "1.25") with at most `decimals` fraction digits.
Result<Micros> seconds(const Node& n, std::size_t index, int decimals, Micros min, Micros max);
// A numeric IPv4/IPv6 address.
Result<IpAddress> address(const Node& n, std::size_t index);

// Splits a command line as keepalived does: blanks separate words; 'single
// quotes' and "double quotes" keep blanks; a backslash escapes the next byte.
Result<std::vector<std::string>> split_command(std::string_view text);

// C-style escapes in probe_send: \r \n \t \\ \" \xHH.
Result<std::string> unescape(std::string_view text);

}  // namespace tandem::vrrpd::config
