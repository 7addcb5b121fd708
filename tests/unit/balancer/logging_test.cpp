// Traffic log lines: HAProxy's log-format language, the httplog and tcplog
// layouts field by field, and syslog framing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include "balancer/logging/cookie_capture.h"
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

// Local time in UTC for the framing's dates, restored after.
struct UtcZone {
  UtcZone() {
    if (const char* tz = std::getenv("TZ")) saved = tz, had = true;
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  ~UtcZone() {
    if (had) ::setenv("TZ", saved.c_str(), 1);
    else ::unsetenv("TZ");
    ::tzset();
  }
  std::string saved;
  bool had = false;
};

TEST(LogSink, Framing) {
  UtcZone utc;
  std::string out;
  // local0 (16) * 8 + info (6) = 134. HAProxy's rfc5424 header: local time
  // with its offset, "-" for the hostname unless log-send-hostname.
  LogSink::frame(out, "rfc5424", 16, Severity::info, 1'700'000'000'123'456, "", "haproxy", 9, "msg", 1024);
  EXPECT_EQ(out, "<134>1 2023-11-14T22:13:20.123456+00:00 - haproxy 9 - - msg\n");
  LogSink::frame(out, "rfc5424", 16, Severity::info, 1'700'000'000'123'456, "h1", "web-tag", 9, "msg", 1024);
  EXPECT_EQ(out, "<134>1 2023-11-14T22:13:20.123456+00:00 h1 web-tag 9 - - msg\n");
  LogSink::frame(out, "short", 17, Severity::err, 0, "h", "haproxy", 9, "m", 1024);
  EXPECT_EQ(out, "<139>m\n");
  LogSink::frame(out, "raw", 17, Severity::err, 0, "h", "haproxy", 9, "m", 1024);
  EXPECT_EQ(out, "m\n");
  LogSink::frame(out, "rfc3164", 16, Severity::info, 0, "", "haproxy", 9, "message", 1024);
  EXPECT_EQ(out, "<134>Jan  1 00:00:00 haproxy[9]: message\n");
  LogSink::frame(out, "rfc3164", 16, Severity::info, 0, "lb1", "gtag", 9, "message", 1024);
  EXPECT_EQ(out, "<134>Jan  1 00:00:00 lb1 gtag[9]: message\n");
  LogSink::frame(out, "raw", 16, Severity::info, 0, "h", "haproxy", 9, std::string(100, 'x'), 80);
  EXPECT_EQ(out.size(), 81u);  // a datagram: `len 80`, then the newline
  EXPECT_EQ(out.back(), '\n');
  LogSink::frame(out, "raw", 16, Severity::info, 0, "h", "haproxy", 9, std::string(100, 'x'), 80,
                 LogSink::Target::stream);
  EXPECT_EQ(out, std::string(79, 'x') + "\n");  // a stream: `len 80` counts the newline
}

TEST(LogSink, HeaderNamesFollowLogTagAndLogSendHostname) {
  config::Proxy p;
  config::Global g;
  EXPECT_EQ(LogSink::header_for(p, g).tag, "haproxy");
  EXPECT_EQ(LogSink::header_for(p, g).host, "");
  g.log_tag = "gtag";
  EXPECT_EQ(LogSink::header_for(p, g).tag, "gtag");
  p.log_tag = "ptag";  // the proxy's own wins
  EXPECT_EQ(LogSink::header_for(p, g).tag, "ptag");
  g.log_send_hostname = "lb1";
  EXPECT_EQ(LogSink::header_for(p, g).host, "lb1");
  g.log_send_hostname = "";  // the system's name
  EXPECT_FALSE(LogSink::header_for(p, g).host.empty());
}

TEST(LogFormat, CapturedCookies) {
  RequestLog r = sample();
  EXPECT_EQ(render("%CC %CS %{+Q}CC", r), "- - \"\"");
  r.cookie_req = "SESSID=abc";
  r.cookie_res = "SESSIONID=x";
  EXPECT_EQ(render("%CC %CS %{+Q}CC", r), "SESSID=abc SESSIONID=x \"SESSID=abc\"");
  EXPECT_EQ(without_date(render(kHttpLogFormat, r)),
            "192.0.2.7:40000 [D] web farm/a 1/0/2/3/7 200 512 SESSID=abc SESSIONID=x ---- 4/3/2/1/0 0/0 "
            "\"GET /p?q=1 HTTP/1.1\"");
}

std::string cookie(std::string_view h, bool set_cookie, std::string_view prefix, std::size_t len = 63) {
  std::string out = "(none)";
  capture_cookie(h, set_cookie, prefix, len, out);
  return out;
}

TEST(CookieCapture, RequestCookies) {
  // The first cookie whose "name=value" starts with the name, cut to len.
  EXPECT_EQ(cookie("a=1; SESSID=xyz0123456789; SESS=2", false, "SESS", 12), "SESSID=xyz01");
  EXPECT_EQ(cookie("a=1; SESS=2", false, "SESS"), "SESS=2");
  EXPECT_EQ(cookie("a=1", false, "SESS"), "(none)");
  // ',' separates request cookies too; spaces around names, '=' and values go.
  EXPECT_EQ(cookie("x=1, SESSID=abc; y=2", false, "SESS"), "SESSID=abc");
  EXPECT_EQ(cookie("  SESS = spaced ;SESSX=1", false, "SESS"), "SESS=spaced");
  // No '=': not a cookie. Shorter than the name, or another name: no match.
  EXPECT_EQ(cookie("SESS", false, "SESS"), "(none)");
  EXPECT_EQ(cookie("SESS; SESS=1", false, "SESS"), "SESS=1");
  EXPECT_EQ(cookie("SE=1", false, "SESS"), "(none)");
  // The name is a prefix of the whole text: it may run into the value.
  EXPECT_EQ(cookie("A=1; AB=2", false, "A=2"), "(none)");
  EXPECT_EQ(cookie("A=1; A=23", false, "A=2"), "A=23");
  // A quoted value keeps its ';'.
  EXPECT_EQ(cookie("SESS=\"quoted;x\"; b=1", false, "SESS"), "SESS=\"quoted;x\"");
  // '$' attributes (RFC 2109) are not cookies; an empty value is one.
  EXPECT_EQ(cookie("$Version=1; $SESS=1; SESS=", false, "$SESS"), "(none)");
  EXPECT_EQ(cookie("$Version=1; SESS=", false, "SESS"), "SESS=");
  EXPECT_EQ(cookie("", false, "SESS"), "(none)");
}

TEST(CookieCapture, SetCookieHeaders) {
  EXPECT_EQ(cookie("SESSIONID=abcdefghijklmnop; Path=/", true, "SESS", 12), "SESSIONID=ab");
  // Only the first pair: the rest are the cookie's attributes.
  EXPECT_EQ(cookie("other=1; SESS=2", true, "SESS"), "(none)");
  EXPECT_EQ(cookie("SESS=a; Expires=Wed, 21 Oct 2026 07:28:00 GMT", true, "SESS"), "SESS=a");
  EXPECT_EQ(cookie("SESS", true, "SESS"), "(none)");
}

}  // namespace
}  // namespace tandem::balancer::logging
