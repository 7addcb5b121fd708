#pragma once
// What a session remembers of one request for its log line: timestamps of
// the phases, the status, the bytes, captures and the termination state.
// The session marks phases as they happen; emit() builds the line's record
// and hands it to the frontend's traffic log. Nothing here runs when the
// frontend logs nowhere (the session checks traffic_log() first).

#include <chrono>
#include <string>
#include <vector>

#include "balancer/http/message.h"
#include "balancer/logging/traffic_log.h"
#include "balancer/proxy/queue_wait.h"
#include "balancer/runtime/runtime.h"

namespace tandem::balancer::proxy {

struct RequestLogState {
  using Steady = std::chrono::steady_clock::time_point;
  Steady start{};         // first byte of the request (or the accept)
  Steady head_done{};     // request head parsed
  Steady connect_start{}, connected{};
  QueueWait queue;        // the server slot: when it was had (%Tw ends, %Tc starts), queue positions
  Steady response_head{};
  std::int64_t start_unix_us = 0;
  std::int64_t accept_unix_us = 0;
  int status = -1;
  std::uint64_t bytes_out = 0, bytes_in = 0;
  char term[2] = {'-', '-'};
  bool any_request = false;  // for dontlognull
  std::vector<std::string> captures;  // request captures, then response ones
  std::string cookie_req, cookie_res;  // `capture cookie` (see logging/cookie_capture.h)
  // The request line, copied when the head is parsed: the head's views point
  // into the client buffer, which is consumed (and may be released) before
  // the line is written. HAProxy keeps its own copy of the URI for the same
  // reason.
  bool has_request_line = false;
  // Answered by one of HAProxy's applets: the server name its line shows
  // ("<STATS>" the stats page, "<PROMEX>" the Prometheus exporter); empty: none.
  std::string_view applet;
  bool monitor = false;  // a monitor-uri request: not logged, as HAProxy
  // The server's current sessions right after this request left them and
  // before its slot went to a waiter (%sc as HAProxy reads it: its log
  // follows the release in the same task); -1: not released yet.
  std::int64_t srv_conn_at_release = -1;
  std::string method, target;
  http::Version version = http::Version::http11;

  void reset(Steady now);
  void note_request(const http::RequestHead& req);
  // The termination state a proxy-made answer implies (HAProxy's flags).
  void set_error_status(int status, bool server_involved);
  // `capture request header`s, read when the head is parsed.
  void capture_request(const logging::TrafficLog& t, const http::RequestHead& req);
  // `capture cookie`'s request cookie (%CC), read as HAProxy 2.6 reads it:
  // once the rules let the request on to a backend, or when a deny/tarpit
  // refuses it; an answer of the proxy's own (return, redirect, auth,
  // monitor-uri, the stats page) leaves it empty.
  void capture_request_cookie(const logging::TrafficLog& t, const http::RequestHead& req);
  void capture_response(const logging::TrafficLog& t, const http::ResponseHead& resp);
};

struct LogContext {
  runtime::Runtime* rt = nullptr;
  runtime::Frontend* fe = nullptr;
  runtime::Backend* be = nullptr;
  runtime::Server* server = nullptr;
  std::string_view client_ip, local_ip;
  std::uint16_t client_port = 0, local_port = 0;
  const http::RequestHead* req = nullptr;  // null: TCP, or no complete request
  // The rule context %[...] parts read; set only when the log format has
  // such parts (TrafficLog::uses_samples()).
  rules::EvalContext* eval = nullptr;
  // The request still holds its server slot and counts in the server's
  // sessions (HAProxy logs after releasing both: %bc/%sc exclude it).
  bool slot_held = false;
};

void emit_request_log(const logging::TrafficLog& t, const RequestLogState& s, const LogContext& c,
                      std::chrono::steady_clock::time_point now);

}  // namespace tandem::balancer::proxy
