// Traffic log lines: HAProxy's log-format language, the httplog and tcplog
// layouts field by field, and syslog framing.
#include <gtest/gtest.h>

#include "balancer/logging/log_format.h"
#include "balancer/logging/log_sink.h"
#include "balancer/rules/context.h"
#include "balancer/rules/sample.h"
#include "balancer/rules/stick_glue.h"
#include "common/strings.h"

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
  EXPECT_EQ(LogFormat::parse("%[src", "t.cfg:4").error().message, "t.cfg:4: log-format: missing ']' after '%['");
  EXPECT_FALSE(LogFormat::parse("%[]", "w"));
}

// %[...] parts: sample expressions, compiled against a resolver (here one
// that knows no table or backend) and evaluated against a rule context.
class LogSamples : public ::testing::Test {
 protected:
  void SetUp() override {
    rules::register_stick_fetches();
    req_.method_text = "GET";
    req_.target = "/p?q=1";
    req_.version = http::Version::http10;
    req_.headers.push_back({"Host", "example.org"});
    resp_.status = 201;
    ctx_.src = asio::ip::make_address("192.0.2.7");
    ctx_.src_port = 40000;
    ctx_.dst = asio::ip::make_address("2001:db8::1");
    ctx_.dst_port = 8443;
    ctx_.req = &req_;
    ctx_.resp = &resp_;
    ctx_.vars.emplace_back("txn.host", "Example.org");
  }
  std::string render(std::string_view fmt, bool with_ctx = true) {
    auto f = LogFormat::parse(fmt, "t.cfg:9", &resolver_);
    EXPECT_TRUE(f) << (f ? "" : f.error().message);
    if (!f) return {};
    EXPECT_TRUE(f->uses_samples());
    RequestLog r = sample();
    r.request_captures = {"examp", ""};
    r.response_captures = {"yes"};
    r.ctx = with_ctx ? &ctx_ : nullptr;
    std::string out;
    f->render(r, out);
    return out;
  }
  std::string error(std::string_view fmt) {
    auto f = LogFormat::parse(fmt, "t.cfg:9", &resolver_);
    return f ? std::string("(parsed)") : f.error().message;
  }
  rules::Resolver resolver_;
  rules::EvalContext ctx_;
  http::RequestHead req_;
  http::ResponseHead resp_;
};

TEST_F(LogSamples, ConnectionFetchesAndTypes) {
  EXPECT_EQ(render("%[src]:%[src_port] %[dst]:%[dst_port] %[ssl_fc] %[always_true]"),
            "192.0.2.7:40000 2001:db8::1:8443 0 1");
}

TEST_F(LogSamples, AbsentValuesAreDashesOrEmptyQuotes) {
  // As HAProxy 2.6 prints them (checked against it in test_traffic_logs.py).
  EXPECT_EQ(render("a=%[ssl_fc_sni] b=%{+Q}[ssl_fc_sni] c=%[var(txn.nope)] d=%[var(txn.nope),length]"),
            "a=- b=\"\" c=- d=-");
  ctx_.sni = "www.example.org";
  EXPECT_EQ(render("%[ssl_fc_sni] %{+Q}[ssl_fc_sni]"), "www.example.org \"www.example.org\"");
}

TEST_F(LogSamples, VariablesConvertersAndTransactionFetches) {
  EXPECT_EQ(render("%[var(txn.host)] %{+Q}[var(txn.host),upper] %[var(txn.host),lower,length]"),
            "Example.org \"EXAMPLE.ORG\" 11");
  EXPECT_EQ(render("%[method] %[status] %[capture.req.method,lower] %[capture.req.uri] %[capture.req.ver] %[capture.res.ver]"),
            "GET 201 get /p?q=1 HTTP/1.0 HTTP/1.1");
  ctx_.resp = nullptr;  // a proxy-made answer: no server response
  EXPECT_EQ(render("%[status] %[capture.res.ver]"), "- -");
}

TEST_F(LogSamples, CaptureSlots) {
  EXPECT_EQ(render("%[capture.req.hdr(0)] %[capture.req.hdr(1)] %{+Q}[capture.req.hdr(1)] %[capture.res.hdr(0)] "
                   "%[capture.req.hdr(7)]"),
            "examp - \"\" yes -");
  EXPECT_EQ(error("%[capture.req.hdr(0),lower]"),
            "t.cfg:9: log-format: 'capture.req.hdr(0),lower': capture.req.hdr/capture.res.hdr take a slot number (0..64) "
            "and no converter");
}

TEST_F(LogSamples, WithoutContextEveryPartIsADash) {
  EXPECT_EQ(render("%[src] %{+Q}[var(txn.host)] %ci", false), "- \"\" 192.0.2.7");
}

TEST_F(LogSamples, HeaderFetchesAreRefusedAsHaproxyDoes) {
  for (std::string_view f : {"req.hdr(host)", "hdr(host)", "path", "url", "query", "base", "req.cook(a)", "url_param(q)"})
    EXPECT_NE(error(cat("%[", f, "]")).find("cannot be used in a log line: it reads the HTTP request headers"),
              std::string::npos)
        << f;
  EXPECT_NE(error("%[res.hdr(x)]").find("it reads the HTTP response headers"), std::string::npos);
  EXPECT_EQ(error("%[nope]"), "t.cfg:9: log-format: unknown fetch 'nope'");
  EXPECT_EQ(error("%[src,nope]"), "t.cfg:9: log-format: unknown converter 'nope'");
  // A table the resolver does not know.
  EXPECT_EQ(error("%[src_conn_rate]"), "t.cfg:9: log-format: fetch 'src_conn_rate' needs a table: this proxy declares none");
}

TEST_F(LogSamples, SyntaxOnlyWithoutResolver) {
  // The configuration parser's check: names are resolved later (-c, start).
  auto f = LogFormat::parse("%[anything(x),at,all] %ci", "w");
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->uses_samples());
  EXPECT_FALSE(LogFormat::parse("%{+Q}[src", "w"));
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
