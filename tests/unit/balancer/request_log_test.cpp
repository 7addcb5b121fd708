// A request's log line, from the session's record to the datagram: the
// request line and %[...] parts come from copies taken when the head was
// parsed, never from the head's views into the client buffer (consumed, and
// possibly reused, by the time the line is written after the response).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string_view>

#include "balancer/config/parser.h"
#include "balancer/logging/traffic_log.h"
#include "balancer/proxy/request_logging.h"
#include "balancer/rules/context.h"
#include "balancer/runtime/frontend.h"
#include "balancer/runtime/runtime.h"
#include "common/strings.h"

namespace tandem::balancer::proxy {
namespace {

// A UDP receiver on an ephemeral loopback port.
struct Receiver {
  Receiver() {
    fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t n = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
    port = ntohs(a.sin_port);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Receiver() { ::close(fd); }
  // A datagram's line, without the newline that ends each (as HAProxy's).
  std::string next() {
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return std::string();
    std::string line(buf, static_cast<size_t>(n));
    EXPECT_EQ(line.back(), '\n');
    if (!line.empty() && line.back() == '\n') line.pop_back();
    return line;
  }
  int fd = -1;
  std::uint16_t port = 0;
};

// A frontend "web" logging with `log_lines` to `rx`, as the balancer builds
// it: configuration, runtime, traffic log (with the sample fetches).
struct LoggedFrontend {
  void build(const Receiver& rx, std::string_view log_lines) {
    std::string text =
        cat("defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n"
            "frontend web\n  bind 127.0.0.1:8080\n  log 127.0.0.1:",
            rx.port, " format raw local0\n", log_lines,
            "  default_backend farm\n"
            "backend farm\n  server a 192.0.2.1:80\n");
    auto lines = tandem::config::lex(text, "r.cfg");
    ASSERT_TRUE(lines);
    auto parsed = config::parse(*lines);
    ASSERT_TRUE(parsed) << parsed.error().message;
    cfg = std::move(*parsed);
    auto built = runtime::Runtime::build(cfg, 1, sticks);
    ASSERT_TRUE(built) << built.error().message;
    rt = std::move(*built);
    fe = rt->find_frontend("web");
    auto made = logging::TrafficLog::create(fe->config(), cfg.global, logging::sample_resolver(*rt, "web"));
    ASSERT_TRUE(made && *made) << (made ? "" : made.error().message);
    tl = std::move(*made);
  }
  config::Config cfg;
  stick::StickRegistry sticks{stick::StickRegistry::Options{.node = "n", .instance_id = "i", .log_capacity = 64}};
  std::unique_ptr<runtime::Runtime> rt;
  runtime::Frontend* fe = nullptr;
  std::unique_ptr<logging::TrafficLog> tl;
};

TEST(RequestLog, RequestLineIsCopiedNotViewed) {
  Receiver rx;
  LoggedFrontend lf;
  lf.build(rx, "  log-format \"%r|%HM|%HU|%[capture.req.uri]|%[method]|%[capture.req.ver]|%[src]\"\n");
  ASSERT_FALSE(HasFatalFailure());
  auto* fe = lf.fe;
  logging::TrafficLog& tl = *lf.tl;
  ASSERT_TRUE(tl.uses_samples());

  // The head's views point into the client buffer...
  std::string client_buffer = "GET /a?b=1 HTTP/1.0\r\n\r\n";
  http::RequestHead head;
  head.method_text = std::string_view(client_buffer).substr(0, 3);
  head.target = std::string_view(client_buffer).substr(4, 6);
  head.version = http::Version::http10;
  RequestLogState s;
  auto now = std::chrono::steady_clock::now();
  s.reset(now);
  s.head_done = now;
  s.note_request(head);
  // ...which holds the next request's bytes by the time the line is written.
  std::fill(client_buffer.begin(), client_buffer.end(), 'X');

  rules::EvalContext ctx;
  ctx.src = asio::ip::make_address("192.0.2.7");
  ctx.req = &head;
  LogContext c{lf.rt.get(), fe, nullptr, nullptr, "192.0.2.7", "127.0.0.1", 40000, 8080, &head, &ctx};
  emit_request_log(tl, s, c, now);
  EXPECT_EQ(rx.next(), "GET /a?b=1 HTTP/1.0|GET|/a?b=1|/a?b=1|GET|HTTP/1.0|192.0.2.7");
  EXPECT_EQ(ctx.req, &head);  // the context is left as it was

  // A request whose head never completed: <BADREQ>, and the fetches find nothing.
  s.reset(now);
  c.req = nullptr;
  emit_request_log(tl, s, c, now);
  EXPECT_EQ(rx.next(), "<BADREQ>|||-|-|-|192.0.2.7");
}

// The time waited for a server slot is %Tw (from the end of the head), the
// connect alone %Tc; %sq/%bq are the queue positions; giving up waiting is
// HAProxy's sQ.
TEST(RequestLog, QueueWaitIsTw) {
  Receiver rx;
  LoggedFrontend lf;
  lf.build(rx, "  log-format \"%TR/%Tw/%Tc/%Tr %sq/%bq %ST %tsc %CC %CS\"\n  capture cookie SESS len 9\n");
  ASSERT_FALSE(HasFatalFailure());
  auto* fe = lf.fe;
  logging::TrafficLog& tl = *lf.tl;

  using std::chrono::milliseconds;
  http::RequestHead head;
  head.method_text = "GET";
  head.target = "/";
  head.headers.push_back(http::Header{"Cookie", "a=1; SESSID=0123456789"});
  http::ResponseHead resp;
  resp.headers.push_back(http::Header{"Set-Cookie", "SESSIONID=abcdefghij; Path=/"});
  RequestLogState s;
  auto t0 = std::chrono::steady_clock::now();
  s.reset(t0);
  s.head_done = t0 + milliseconds(2);
  s.note_request(head);
  s.capture_request(tl, head);
  s.capture_request_cookie(tl, head);
  s.connect_start = t0 + milliseconds(3);
  s.queue.until = t0 + milliseconds(441);
  s.queue.backend_pos = 1;
  s.connected = t0 + milliseconds(442);
  s.response_head = t0 + milliseconds(945);
  s.capture_response(tl, resp);
  s.status = 200;
  LogContext c{lf.rt.get(), fe, nullptr, nullptr, "192.0.2.7", "127.0.0.1", 40000, 8080, &head, nullptr};
  emit_request_log(tl, s, c, t0 + milliseconds(946));
  EXPECT_EQ(rx.next(), "2/439/1/503 0/1 200 ---- SESSID=01 SESSIONID");

  // Gave up in the queue after `timeout queue`: 503 sQ, no connect.
  s.reset(t0);
  s.head_done = t0;
  s.note_request(head);
  s.connect_start = t0;
  s.queue.until = t0 + milliseconds(200);
  s.queue.backend_pos = 1;
  s.queue.timed_out = true;
  s.set_error_status(503, false);
  emit_request_log(tl, s, c, t0 + milliseconds(200));
  EXPECT_EQ(rx.next(), "0/200/-1/-1 0/1 503 sQ-- - -");
}

}  // namespace
}  // namespace tandem::balancer::proxy
