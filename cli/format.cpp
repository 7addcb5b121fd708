#include "cli/format.h"

#include <arpa/inet.h>

#include <ctime>

#include "common/strings.h"

namespace tandem::cli {

std::string inbound_text(bool connected, std::int64_t lag_ms) {
  if (!connected) return "down";
  if (lag_ms <= 0) return "up";
  return "up (lag " + std::to_string(lag_ms) + " ms)";
}

std::string duration_text(std::int64_t ms) {
  if (ms <= 0) return "0ms";
  if (ms < 1000) return cat(ms, "ms");
  std::int64_t s = ms / 1000;
  auto two = [](std::int64_t v) { return v < 10 ? cat('0', v) : cat(v); };
  if (s < 60) return cat(s, 's');
  if (s < 3600) return s % 60 ? cat(s / 60, 'm', two(s % 60), 's') : cat(s / 60, 'm');
  if (s < 86400) return (s / 60) % 60 ? cat(s / 3600, 'h', two((s / 60) % 60), 'm') : cat(s / 3600, 'h');
  return (s / 3600) % 24 ? cat(s / 86400, 'd', two((s / 3600) % 24), 'h') : cat(s / 86400, 'd');
}

std::string utc_time_text(std::int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::int64_t frac = unix_ms % 1000;
  if (frac < 0) {
    frac += 1000;
    --secs;
  }
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(frac));
  return out;
}

std::string hex_text(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string ip_text(std::string_view bytes) {
  char buf[INET6_ADDRSTRLEN];
  if (bytes.size() == 4) return ::inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
  if (bytes.size() == 16) {
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (bytes.substr(0, 12) == std::string_view(reinterpret_cast<const char*>(kMapped), 12))
      return ::inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
    return ::inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return "0x" + hex_text(bytes);
}

std::uint64_t sliding_rate(std::uint64_t current, std::uint64_t previous, std::uint32_t age_ms,
                           std::uint32_t period_ms) {
  if (period_ms == 0 || age_ms >= period_ms) return current;
  // previous * left / period, split so that it cannot overflow.
  const std::uint64_t left = period_ms - age_ms;
  return current + previous / period_ms * left + previous % period_ms * left / period_ms;
}

}  // namespace tandem::cli
