#pragma once
// Words and numbers as tandemctl prints them: durations, times, addresses,
// stick-table keys and rates. Pure functions, so the human tables and the
// JSON documents agree and the unit tests pin the forms down.

#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::cli {

// 250ms, 12s, 5m03s, 2h05m, 3d04h: two units at most, the largest first.
// Negative durations print as "0ms".
std::string duration_text(std::int64_t ms);

// The INBOUND column of `tandemctl peers`: the peer's stream to this node,
// "down", "up", or "up (lag N ms)" while this node's balancer has not yet
// applied a batch received N ms after the peer sent it.
std::string inbound_text(bool connected, std::int64_t lag_ms);

// 2026-11-21T03:05:25.123Z (UTC, millisecond precision).
std::string utc_time_text(std::int64_t unix_ms);

// A 4-byte (IPv4) or 16-byte (IPv6) address in network byte order as text;
// IPv4-mapped IPv6 addresses print as dotted IPv4. Any other length prints
// as hex with a 0x prefix.
std::string ip_text(std::string_view bytes);

// Lower-case hex, two digits per byte.
std::string hex_text(std::string_view bytes);

// HAProxy's sliding-window rate: events in the current period plus the
// previous period's share of the time left: cur + prev * (period - age) / period.
std::uint64_t sliding_rate(std::uint64_t current, std::uint64_t previous, std::uint32_t age_ms,
                           std::uint32_t period_ms);

}  // namespace tandem::cli
