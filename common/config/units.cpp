#include "common/config/units.h"

#include <charconv>
#include <limits>

#include "common/strings.h"

namespace tandem::config {

namespace {
// Splits "123ms" into 123 and "ms"; false when no leading digits or overflow.
bool split_number(std::string_view text, std::uint64_t& value, std::string_view& unit) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0) return false;
  auto r = std::from_chars(text.data(), text.data() + i, value);
  if (r.ec != std::errc()) return false;
  unit = text.substr(i);
  return true;
}
}  // namespace

Result<std::chrono::microseconds> parse_time(std::string_view text) {
  std::uint64_t v = 0;
  std::string_view unit;
  if (!split_number(text, v, unit)) return fail(cat("'", text, "' is not a time (expected e.g. 500ms, 2s, 1m)"));
  std::uint64_t mult;
  if (unit == "us") mult = 1;
  else if (unit.empty() || unit == "ms") mult = 1000;
  else if (unit == "s") mult = 1000ULL * 1000;
  else if (unit == "m") mult = 60ULL * 1000 * 1000;
  else if (unit == "h") mult = 3600ULL * 1000 * 1000;
  else if (unit == "d") mult = 86400ULL * 1000 * 1000;
  else return fail(cat("'", text, "': unknown time unit '", unit, "' (us, ms, s, m, h, d)"));
  // HAProxy keeps times in 32-bit milliseconds: anything longer than ~24.8
  // days would wrap there; refuse it here instead of surprising the user.
  constexpr std::uint64_t max_us = static_cast<std::uint64_t>(std::numeric_limits<int32_t>::max()) * 1000;
  if (v > max_us / mult) return fail(cat("'", text, "': time too large (at most 2147483647ms)"));
  return std::chrono::microseconds(static_cast<long long>(v * mult));
}

Result<std::chrono::milliseconds> parse_time_ms(std::string_view text) {
  auto us = parse_time(text);
  if (!us) return std::unexpected(us.error());
  return std::chrono::milliseconds((us->count() + 999) / 1000);
}

Result<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t v = 0;
  std::string_view unit;
  if (!split_number(text, v, unit)) return fail(cat("'", text, "' is not a size (expected e.g. 16384, 16k, 1m)"));
  std::uint64_t mult;
  if (unit.empty()) mult = 1;
  else if (unit == "k" || unit == "K") mult = 1024;
  else if (unit == "m" || unit == "M") mult = 1024 * 1024;
  else if (unit == "g" || unit == "G") mult = 1024 * 1024 * 1024;
  else return fail(cat("'", text, "': unknown size unit '", unit, "' (k, m, g)"));
  if (v > std::numeric_limits<std::uint64_t>::max() / mult) return fail(cat("'", text, "': size too large"));
  return v * mult;
}

}  // namespace tandem::config
