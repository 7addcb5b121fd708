#pragma once
// HAProxy's numeric units.
//  time: a number with an optional unit us, ms, s, m, h, d (ms when none).
//  size: a number with an optional k, m or g (powers of 1024, either case).

#include <chrono>
#include <cstdint>
#include <string_view>

#include "common/error.h"

namespace tandem::config {

// Microsecond precision; callers working in milliseconds round up, so that
// "500us" never becomes 0 (which often means "no timeout").
Result<std::chrono::microseconds> parse_time(std::string_view text);
Result<std::chrono::milliseconds> parse_time_ms(std::string_view text);

Result<std::uint64_t> parse_size(std::string_view text);

}  // namespace tandem::config
