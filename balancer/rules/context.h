#pragma once
// What rule evaluation reads and writes for one connection or request. The
// session fills it; fetches read it; actions (track-sc, set-var) write to it.
// Views point into the session's buffers and live as long as the request.

#include <asio/ip/address.hpp>
#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "balancer/http/message.h"
#include "balancer/stick/stick_types.h"

namespace tandem::balancer::runtime {
class Runtime;
class Frontend;
class Backend;
}  // namespace tandem::balancer::runtime

namespace tandem::balancer::rules {

// A tracked stick counter (sc0..sc2): the table and the entry's reference,
// owned by the session (see balancer/stick). Opaque here.
struct TrackedCounter;

struct EvalContext {
  // The connection.
  asio::ip::address src;
  asio::ip::address dst;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  bool ssl = false;
  std::string_view sni;
  // The client connection's TLS state (an OpenSSL SSL*), null without TLS;
  // read by the ssl_* fetches (balancer/tls/tls_fetches.cpp).
  const void* tls = nullptr;

  // tcp-request content inspection (HAProxy's tcp_inspect_request): the
  // bytes the client has sent so far (req.len), and whether this evaluation
  // is the last one (inspect-delay over, buffer full, client closed, or no
  // inspect-delay): until then a fetch that may still change (req.len,
  // wait_end) leaves a condition undecided and the rules wait for more.
  std::size_t req_len = 0;
  bool content_final = true;

  // HTTP (null before/without a request, or outside http-response rules).
  const http::RequestHead* req = nullptr;
  const http::ResponseHead* resp = nullptr;

  // Where the request is.
  const runtime::Runtime* rt = nullptr;
  runtime::Frontend* fe = nullptr;
  runtime::Backend* be = nullptr;

  // sc0..sc2, set by track-sc rules; null when not tracked.
  std::array<TrackedCounter*, 3> sc{};
  // The time stick-table fetches and actions use, sampled once per request
  // by the session (see balancer/stick/stick_time.h).
  stick::StickNow now;

  // `set-var(txn.NAME)` values for this request.
  std::vector<std::pair<std::string, std::string>> vars;

  // Storage for strings converters produce; lives as long as the context.
  std::string_view keep(std::string s) {
    scratch_.push_back(std::move(s));
    return scratch_.back();
  }
  void clear_scratch() { scratch_.clear(); }

 private:
  std::deque<std::string> scratch_;
};

}  // namespace tandem::balancer::rules
