#pragma once
// Building health-check requests and judging what servers answer. Pure: the
// checker (checker.h) feeds it bytes. A server's answer is untrusted input:
// whatever it sends — garbage, a huge or endless response — ends in a
// verdict within a bounded number of bytes, never a crash or a stall.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "balancer/config/model.h"
#include "balancer/health/health_state.h"

namespace tandem::balancer::health {

// At most this much of a response is read and examined (HAProxy's
// tune.chksize default); an answer still incomplete beyond it is judged on
// what arrived.
inline constexpr std::size_t kMaxCheckResponse = 16384;

// The request an HTTP check sends (HTTP/1.1 gets a Host header when the
// configuration gives none, and every check asks the server to close).
std::string build_http_check_request(const config::CheckSpec& spec);

// Judges an HTTP check's response from the bytes received so far. nullopt:
// more bytes are needed (and `eof` is false). `duration` is not filled in.
std::optional<CheckResult> judge_http(const config::CheckSpec& spec, std::string_view bytes, bool eof);

enum class Match { matched, failed, need_more };

// A tcp-check `expect` rule against the bytes received since the last send.
Match judge_tcp_expect(const config::TcpCheckStep& step, std::string_view bytes, bool eof);

}  // namespace tandem::balancer::health
