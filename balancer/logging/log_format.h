#pragma once
// Traffic log lines: what one request (HTTP) or connection (TCP) did, and
// HAProxy's `log-format` language to lay it out. `option httplog` and
// `option tcplog` are the predefined formats below, so their lines read
// field for field as HAProxy's. Pure: a record in, bytes appended out.
//
// `%[fetch,conv...]` parts are sample expressions (balancer/rules/sample.h)
// evaluated at log time against the request's rule context, with HAProxy's
// rule for what a log line may read: connection, session, stick-counter,
// TLS, variable and capture fetches, not the request or response headers
// (gone by then in HAProxy; it refuses them at load, and so do we).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace tandem::balancer::rules {
struct EvalContext;
struct Resolver;
class SampleExpr;
}  // namespace tandem::balancer::rules

namespace tandem::balancer::logging {

// HAProxy 2.6's defaults.
inline constexpr std::string_view kHttpLogFormat =
    "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r";
inline constexpr std::string_view kTcpLogFormat =
    "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq";
// Without `option httplog`/`tcplog`, HAProxy logs this much.
inline constexpr std::string_view kDefaultLogFormat = "%ci:%cp [%t] %ft %b/%s";

// One request or connection, as seen when it ended. Timers are
// milliseconds, -1 when that phase never happened (HAProxy prints -1).
struct RequestLog {
  std::string_view client_ip;
  std::uint16_t client_port = 0;
  std::string_view frontend_ip;
  std::uint16_t frontend_port = 0;
  std::string_view server_ip;
  std::uint16_t server_port = 0;
  std::int64_t accept_unix_us = 0;   // %t: when the connection was accepted
  std::int64_t request_unix_us = 0;  // %tr: when the request began
  std::string_view frontend;
  std::string_view backend;  // "" before one was chosen: printed as the frontend's name
  std::string_view server;   // "" when none: "<NOSRV>"
  int Th = 0, Ti = 0, TR = -1, Tw = -1, Tc = -1, Tr = -1, Ta = 0, Tt = 0;
  int status = -1;            // -1: no HTTP status (TCP)
  std::uint64_t bytes_out = 0;  // %B: bytes sent to the client
  std::uint64_t bytes_in = 0;   // %U: bytes received from the client
  char term[2] = {'-', '-'};    // termination state: who ended it, in which phase
  std::uint64_t actconn = 0, feconn = 0, beconn = 0, srv_conn = 0, retries = 0, srv_queue = 0, backend_queue = 0;
  std::string_view method, target, version;  // the request line's parts
  std::vector<std::string_view> request_captures, response_captures;
  std::string_view cookie_req, cookie_res;  // `capture cookie`: "name=value", cut ("" when none)
  bool http = false;
  int pid = 0;
  std::string_view hostname;
  // The request's (or connection's) rule context, for %[sample] parts; null
  // when there is none (they print "-").
  rules::EvalContext* ctx = nullptr;
};

class LogFormat {
 public:
  // Errors read "WHERE: log-format: ..." (unknown variable, bad braces,
  // a fetch that cannot run at log time). `samples` compiles %[...] parts
  // (fetch names, tables, backends); without it they are only checked for
  // syntax, which is what the configuration parser can do before the
  // runtime exists, and such a format must not be rendered.
  static Result<LogFormat> parse(std::string_view text, std::string_view where,
                                 const rules::Resolver* samples = nullptr);
  void render(const RequestLog& r, std::string& out) const;
  bool empty() const { return parts_.empty(); }
  // Has %[...] parts: the session must hand its rule context to the line.
  bool uses_samples() const { return uses_samples_; }

 private:
  enum class Var : std::uint8_t {
    literal, ci, cp, fi, fp, si, sp, ft, f, b, s, t, tr, T, pid, H, ST, B, U, Th, Ti, TR, Tw, Tc, Tr, Ta, Tt, Tq,
    ts, tsc, ac, fc, bc, sc, rc, sq, bq, hr, hs, hrl, hsl, r, HM, HU, HP, HQ, HV, CC, CS, ms,
    sample,       // %[fetch,conv...]
    capture_req,  // %[capture.req.hdr(N)]: the log's own capture slots
    capture_res,  // %[capture.res.hdr(N)]
  };
  struct Part {
    Var var = Var::literal;
    std::string text;  // literal
    bool quote = false;  // {+Q}
    std::size_t index = 0;  // capture_req/capture_res: the slot
    std::shared_ptr<const rules::SampleExpr> expr;  // sample: null when only syntax-checked
  };
  std::vector<Part> parts_;
  bool uses_samples_ = false;
};

// The two characters of the termination state, as HAProxy sets them: the
// first says who ended the session (C client, S server, P proxy, R resource,
// I internal, c/s client/server timeout, - normal), the second in which phase
// (R request, Q queue, C connect, H headers, D data, L last, T tarpit, -).
void set_termination(RequestLog& r, char who, char phase);

}  // namespace tandem::balancer::logging
