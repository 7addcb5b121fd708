// Traffic log lines: HAProxy's log-format language, the httplog and tcplog
// layouts field by field, and syslog framing.
#include <gtest/gtest.h>

#include "balancer/logging/log_format.h"
#include "balancer/logging/log_sink.h"

namespace tandem::balancer::logging {
namespace {

RequestLog sample() {
  RequestLog r;
  r.client_ip = "192.0.2.7";
  r.client_port = 40000;
  r.frontend_ip = "198.18.0.1";
  r.frontend_port = 80;
  r.frontend = "web";
  r.backend = "farm";
  r.server = "a";
  r.accept_unix_us = 0;
  r.request_unix_us = 0;
  r.TR = 1;
  r.Tw = 0;
  r.Tc = 2;
  r.Tr = 3;
  r.Ta = 7;
  r.Tt = 7;
  r.status = 200;
  r.bytes_out = 512;
  r.actconn = 4;
  r.feconn = 3;
  r.beconn = 2;
  r.srv_conn = 1;
  r.method = "GET";
  r.target = "/p?q=1";
  r.version = "HTTP/1.1";
  r.http = true;
  return r;
}

std::string render(std::string_view fmt, const RequestLog& r) {
  auto f = LogFormat::parse(fmt, "t.cfg:1");
  EXPECT_TRUE(f) << (f ? "" : f.error().message);
  std::string out;
  if (f) f->render(r, out);
  return out;
}

// The date depends on the local time zone; the fields around it do not.
std::string without_date(std::string s) {
  auto a = s.find('[');
  auto b = s.find(']');
  if (a != std::string::npos && b != std::string::npos) s.replace(a, b - a + 1, "[D]");
  return s;
}

TEST(LogFormat, HttplogLayout) {
  EXPECT_EQ(without_date(render(kHttpLogFormat, sample())),
            "192.0.2.7:40000 [D] web farm/a 1/0/2/3/7 200 512 - - ---- 4/3/2/1/0 0/0 \"GET /p?q=1 HTTP/1.1\"");
  RequestLog r = sample();
  r.request_captures = {"host.example", ""};
  r.response_captures = {"text/html"};
  EXPECT_EQ(without_date(render(kHttpLogFormat, r)),
            "192.0.2.7:40000 [D] web farm/a 1/0/2/3/7 200 512 - - ---- 4/3/2/1/0 0/0 {host.example|} {text/html} "
            "\"GET /p?q=1 HTTP/1.1\"");
}

TEST(LogFormat, TcplogLayoutAndTermination) {
  RequestLog r = sample();
  r.http = false;
  r.server = "";
  r.Tc = -1;
  set_termination(r, 'S', 'C');
  EXPECT_EQ(without_date(render(kTcpLogFormat, r)), "192.0.2.7:40000 [D] web farm/<NOSRV> 0/-1/7 512 SC 4/3/2/1/0 0/0");
}

TEST(LogFormat, Variables) {
  RequestLog r = sample();
  EXPECT_EQ(render("%fi:%fp %HM %HP %HQ %HV %U %Tq %% \\%", r), "198.18.0.1:80 GET /p ?q=1 HTTP/1.1 0 1 % %");
  r.method = "";
  EXPECT_EQ(render("%{+Q}r %r", r), "\"<BADREQ>\" <BADREQ>");
  r.backend = "";
  EXPECT_EQ(render("%b", r), "web");
}

TEST(LogFormat, Errors) {
  EXPECT_EQ(LogFormat::parse("%ci %Zz", "t.cfg:3").error().message, "t.cfg:3: log-format: unknown variable '%Zz'");
  EXPECT_FALSE(LogFormat::parse("%{+Q r", "w"));
  EXPECT_FALSE(LogFormat::parse("%{+Y}r", "w"));
  EXPECT_FALSE(LogFormat::parse("%[src]", "w"));
}

TEST(LogSink, Framing) {
  std::string out;
  // local0 (16) * 8 + info (6) = 134
  LogSink::frame(out, "rfc5424", 16, Severity::info, 1'700'000'000'123'456, "h1", "haproxy", 9, "msg", 1024);
  EXPECT_EQ(out, "<134>1 2023-11-14T22:13:20.123456Z h1 haproxy 9 - - msg\n");
  LogSink::frame(out, "short", 17, Severity::err, 0, "h", "haproxy", 9, "m", 1024);
  EXPECT_EQ(out, "<139>m\n");
  LogSink::frame(out, "raw", 17, Severity::err, 0, "h", "haproxy", 9, "m", 1024);
  EXPECT_EQ(out, "m\n");
  LogSink::frame(out, "rfc3164", 16, Severity::info, 0, "h", "haproxy", 9, "message", 1024);
  EXPECT_TRUE(out.starts_with("<134>")) << out;
  EXPECT_TRUE(out.ends_with(" haproxy[9]: message\n")) << out;
  LogSink::frame(out, "raw", 16, Severity::info, 0, "h", "haproxy", 9, std::string(100, 'x'), 80);
  EXPECT_EQ(out.size(), 81u);  // `len 80`, then the newline
}

}  // namespace
}  // namespace tandem::balancer::logging
