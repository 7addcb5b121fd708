// ACLs, conditions and rules, evaluated against parsed requests.
#include <gtest/gtest.h>

#include "balancer/config/parser.h"
#include "balancer/http/request_parser.h"
#include "balancer/rules/acl.h"
#include "balancer/rules/rule_set.h"
#include "balancer/rules/userlist.h"

namespace tandem::balancer::rules {
namespace {

struct Req {
  explicit Req(std::string text) : raw(std::move(text)) {
    http::RequestParser p;
    http::ParseError e;
    EXPECT_EQ(p.parse(raw, head, e), http::ParseStatus::complete) << e.reason;
    ctx.req = &head;
    ctx.src = asio::ip::make_address("192.0.2.10");
    ctx.src_port = 40000;
    ctx.dst = asio::ip::make_address("198.18.0.100");
    ctx.dst_port = 80;
  }
  std::string raw;
  http::RequestHead head;
  EvalContext ctx;
};

std::vector<std::string> split(std::string_view s) {
  auto l = tandem::config::lex(s, "t.cfg");
  EXPECT_TRUE(l) << (l ? "" : l.error().message);
  return l ? l->front().words : std::vector<std::string>{};
}

bool acl(std::string_view spec, Req& r) {
  auto a = Acl::compile(split(spec), Resolver{}, "t.cfg:1: acl", nullptr);
  EXPECT_TRUE(a) << spec << ": " << (a ? "" : a.error().message);
  return a && (*a)->eval(r.ctx);
}

TEST(Acl, TheSeedsCriteria) {
  Req r("POST /api/v1/users?id=7 HTTP/1.1\r\nHost: API.Example.com\r\nUser-Agent: Mozilla Android\r\n"
        "Upgrade: WebSocket\r\nCookie: SERVERID=s1; other=x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(acl("path_beg /api/", r));
  EXPECT_FALSE(acl("path_beg /admin/", r));
  EXPECT_TRUE(acl("path_end .css .js /users", r));
  EXPECT_TRUE(acl("path /api/v1/users", r));
  EXPECT_TRUE(acl("path_sub v1", r));
  EXPECT_TRUE(acl("path_dir v1", r));
  EXPECT_FALSE(acl("path_dir v", r));
  EXPECT_TRUE(acl(R"(path_reg ^/api/v[0-9]+/)", r));
  EXPECT_TRUE(acl("hdr(Upgrade) -i websocket", r));
  EXPECT_FALSE(acl("hdr(Upgrade) websocket", r));  // case matters without -i
  EXPECT_TRUE(acl("hdr(Host) -i api.example.com", r));
  EXPECT_TRUE(acl("hdr_beg(Host) -i api.", r));
  EXPECT_TRUE(acl("hdr_end(host) -i .example.com", r));
  EXPECT_TRUE(acl("hdr_sub(User-Agent) -i mobile android iphone", r));
  EXPECT_TRUE(acl("hdr_dom(host) -i example", r));
  EXPECT_TRUE(acl("method POST", r));
  EXPECT_FALSE(acl("method GET", r));
  EXPECT_TRUE(acl("src 10.0.0.0/8 192.0.2.0/24", r));
  EXPECT_FALSE(acl("src 10.0.0.0/8 192.168.0.0/16", r));
  EXPECT_TRUE(acl("dst_port 80", r));
  EXPECT_TRUE(acl("src_port gt 1024", r));
  EXPECT_TRUE(acl("url_param(id) 7", r));
  EXPECT_TRUE(acl("query -m sub id=", r));
  EXPECT_TRUE(acl("cook(SERVERID) s1", r));
  EXPECT_TRUE(acl("req.cook(other) -m found", r));
  EXPECT_FALSE(acl("cook(missing) -m found", r));
  EXPECT_TRUE(acl("hdr_cnt(host) eq 1", r));
  EXPECT_TRUE(acl("hdr(host),lower -m beg api.example", r));
  EXPECT_TRUE(acl("path,length 13", r));
  EXPECT_TRUE(acl("path -m len ge 10", r));
  EXPECT_TRUE(acl("always_true", r));
  EXPECT_FALSE(acl("ssl_fc", r));
  EXPECT_FALSE(acl("src", r));  // no pattern: never matches (HAProxy warns)
}

TEST(Acl, IntegerOperatorsAndRanges) {
  Req r("GET / HTTP/1.1\r\nHost: h\r\nX-N: 42\r\n\r\n");
  EXPECT_TRUE(acl("hdr_val(x-n) gt 41", r));
  EXPECT_FALSE(acl("hdr_val(x-n) gt 42", r));
  EXPECT_TRUE(acl("hdr_val(x-n) ge 42", r));
  EXPECT_TRUE(acl("hdr_val(x-n) lt 43", r));
  EXPECT_TRUE(acl("hdr_val(x-n) le 42", r));
  EXPECT_TRUE(acl("hdr_val(x-n) 40:50", r));
  EXPECT_TRUE(acl("hdr_val(x-n) :42", r));
  EXPECT_FALSE(acl("hdr_val(x-n) 43:", r));
  EXPECT_TRUE(acl("hdr_val(x-n) eq 1 eq 42", r));
}

TEST(Acl, EveryOccurrenceOfAHeaderIsTested) {
  Req r("GET / HTTP/1.1\r\nHost: h\r\nX-Tag: a, b\r\nX-Tag: c\r\n\r\n");
  EXPECT_TRUE(acl("hdr(x-tag) b", r));
  EXPECT_TRUE(acl("hdr(x-tag) c", r));
  EXPECT_FALSE(acl("hdr(x-tag) d", r));
  // Values, not lines (HAProxy): the whole "a, b" is no value of its own.
  EXPECT_FALSE(acl("hdr(x-tag) -m sub ,", r));
  EXPECT_TRUE(acl("req.fhdr(x-tag) -m sub ,", r));
  Req e("GET / HTTP/1.1\r\nHost: h\r\nX-Empty: \r\n\r\n");
  EXPECT_TRUE(acl("hdr(x-empty) -m found", e));
  EXPECT_TRUE(acl("hdr_len(x-empty) 0", e));
  EXPECT_FALSE(acl("hdr(x-none) -m found", e));
}

// A sample (not an ACL): the text it renders to, or "<none>".
std::string sample(std::string_view spec, Req& r) {
  auto e = SampleExpr::parse(spec, Resolver{}, "t.cfg:1");
  EXPECT_TRUE(e) << spec << ": " << (e ? "" : e.error().message);
  if (!e) return "<error>";
  Sample s = e->eval(r.ctx);
  return s.present() ? std::string(s.text(r.ctx)) : "<none>";
}

TEST(Sample, HeaderValuesAndOccurrencesAsHAProxy) {
  Req r("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 203.0.113.5, 192.0.2.44\r\nX-Forwarded-For: 10.1.2.3:5000\r\n"
        "User-Agent: Mozilla/5.0 (X11, Linux)\r\nX-Empty: \r\nX-V6: 2001:db8::7\r\n\r\n");
  // hdr/req.hdr: comma-separated values, the last by default.
  EXPECT_EQ(sample("req.hdr(x-forwarded-for)", r), "10.1.2.3:5000");
  EXPECT_EQ(sample("hdr(x-forwarded-for,1)", r), "203.0.113.5");
  EXPECT_EQ(sample("req.hdr(x-forwarded-for,2)", r), "192.0.2.44");
  EXPECT_EQ(sample("req.hdr(x-forwarded-for,-2)", r), "192.0.2.44");
  EXPECT_EQ(sample("req.hdr(x-forwarded-for,-3)", r), "203.0.113.5");
  EXPECT_EQ(sample("req.hdr(x-forwarded-for,4)", r), "<none>");
  EXPECT_EQ(sample("req.hdr(x-forwarded-for,-4)", r), "<none>");
  EXPECT_EQ(sample("req.hdr(user-agent)", r), "Linux)");  // HAProxy's gotcha: use req.fhdr
  EXPECT_EQ(sample("req.hdr(x-empty)", r), "");
  EXPECT_EQ(sample("req.hdr(x-missing)", r), "<none>");
  // fhdr: whole field lines.
  EXPECT_EQ(sample("req.fhdr(user-agent)", r), "Mozilla/5.0 (X11, Linux)");
  EXPECT_EQ(sample("req.fhdr(x-forwarded-for,1)", r), "203.0.113.5, 192.0.2.44");
  EXPECT_EQ(sample("req.fhdr_cnt(x-forwarded-for)", r), "2");
  EXPECT_EQ(sample("req.hdr_cnt(x-forwarded-for)", r), "3");
  // hdr_ip: an address, a port after an IPv4 one ignored; not one: no sample.
  EXPECT_EQ(sample("req.hdr_ip(x-forwarded-for)", r), "10.1.2.3");
  EXPECT_EQ(sample("hdr_ip(x-forwarded-for,1)", r), "203.0.113.5");
  EXPECT_EQ(sample("req.hdr_ip(x-v6)", r), "2001:db8::7");
  EXPECT_EQ(sample("req.hdr_ip(user-agent)", r), "<none>");
  // In an ACL every value is tested (an occurrence picks one).
  EXPECT_TRUE(acl("req.hdr_ip(x-forwarded-for) 192.0.2.0/24", r));
  EXPECT_TRUE(acl("hdr_ip(x-forwarded-for) 10.0.0.0/8", r));
  EXPECT_FALSE(acl("hdr_ip(x-forwarded-for,1) 192.0.2.0/24", r));
  EXPECT_FALSE(acl("req.hdr_ip(x-forwarded-for) 198.51.100.0/24", r));
  EXPECT_TRUE(acl("req.fhdr(user-agent) -m sub X11, Linux", r));
  EXPECT_FALSE(acl("req.hdr(x-forwarded-for,1) 192.0.2.44", r));
  EXPECT_TRUE(acl("req.hdr(x-forwarded-for,2) 192.0.2.44", r));
  // Errors.
  for (const char* bad : {"req.hdr", "req.hdr()", "req.hdr(,1)", "req.hdr(x,one)"})
    EXPECT_FALSE(SampleExpr::parse(bad, Resolver{}, "t.cfg:1")) << bad;
}

TEST(Acl, CompileErrors) {
  auto err = [](std::string_view spec) {
    auto a = Acl::compile(split(spec), Resolver{}, "t.cfg:3: acl x", nullptr);
    EXPECT_FALSE(a) << spec;
    return a ? std::string() : a.error().message;
  };
  EXPECT_EQ(err("nope_fetch foo"), "t.cfg:3: acl x: unknown fetch 'nope_fetch'");
  EXPECT_EQ(err("path_reg ([a-"), "t.cfg:3: acl x: invalid regex '([a-': Invalid end of '[x-x]' range in regular expression");
  EXPECT_EQ(err("src 10.0.0.0/99"), "t.cfg:3: acl x: '10.0.0.0/99' is not an IP address or network");
  EXPECT_EQ(err("src_port gt"), "t.cfg:3: acl x: 'gt' must be followed by a number");
  EXPECT_EQ(err("hdr foo"), "t.cfg:3: acl x: fetch 'hdr' needs an argument, e.g. hdr(host)");
  EXPECT_EQ(err("path -m bogus /x"), "t.cfg:3: acl x: unknown match method 'bogus'");
  EXPECT_EQ(err("path,frob /x"), "t.cfg:3: acl x: unknown converter 'frob'");
  EXPECT_EQ(err("nbsrv(nope) 1"), "t.cfg:3: acl x: no backend named 'nope'");
}

Result<Condition> cond(std::string_view text, const AclSet& set) {
  return Condition::parse(split(text), 0, false, set, Resolver{}, "t.cfg:9: rule", nullptr);
}

TEST(Condition, AndOrNotAndAnonymous) {
  Req r("GET /api/x HTTP/1.1\r\nHost: h\r\n\r\n");
  AclSet set;
  (void)set.add("is_api", *Acl::compile(split("path_beg /api/"), {}, "w", nullptr));
  (void)set.add("is_admin", *Acl::compile(split("path_beg /admin/"), {}, "w", nullptr));
  (void)set.add("is_admin", *Acl::compile(split("path_beg /api/x"), {}, "w", nullptr));  // same name: ORed
  (void)set.add("internal", *Acl::compile(split("src 10.0.0.0/8"), {}, "w", nullptr));
  EXPECT_TRUE(cond("is_api", set)->eval(r.ctx));
  EXPECT_FALSE(cond("is_api internal", set)->eval(r.ctx));
  EXPECT_TRUE(cond("is_api !internal", set)->eval(r.ctx));
  EXPECT_TRUE(cond("internal || is_api", set)->eval(r.ctx));
  EXPECT_TRUE(cond("internal or is_admin", set)->eval(r.ctx));
  EXPECT_TRUE(cond("{ path_beg /api } { method GET }", set)->eval(r.ctx));
  EXPECT_FALSE(cond("!{ path_beg /api }", set)->eval(r.ctx));
  EXPECT_TRUE(cond("! { path_beg /nope }", set)->eval(r.ctx));
  auto unless = Condition::parse(split("is_api"), 0, true, set, {}, "w", nullptr);
  EXPECT_FALSE(unless->eval(r.ctx));
  EXPECT_EQ(cond("undeclared", set).error().message, "t.cfg:9: rule: no such ACL : 'undeclared'");
  EXPECT_EQ(cond("{ path_beg /x", set).error().message, "t.cfg:9: rule: missing '}' in the condition");
  EXPECT_EQ(cond("is_api ||", set).error().message, "t.cfg:9: rule: empty condition");
}

config::Proxy proxy_with(std::string_view text) {
  auto lines = tandem::config::lex(text, "p.cfg");
  EXPECT_TRUE(lines);
  auto cfg = config::parse(*lines);
  EXPECT_TRUE(cfg) << (cfg ? "" : cfg.error().message);
  return cfg ? cfg->proxies.back() : config::Proxy{};
}

Result<std::shared_ptr<RuleSet>> rules_of(std::string_view text) {
  return RuleSet::compile(proxy_with(text), Resolver{}, [](std::string_view) { return nullptr; }, nullptr);
}

TEST(RuleSet, HttpRequestActionsInOrder) {
  auto rs = rules_of(
      "frontend f\n  mode http\n"
      "  http-request set-header X-Forwarded-Proto http unless { ssl_fc }\n"
      "  http-request add-header X-Client %[src]:%[src_port]\n"
      "  http-request del-header X-Secret\n"
      "  http-request replace-header User-Agent ^curl/(.*)$ Curl-\\1\n"
      "  http-request set-path /v2%[path] if { path_beg /api }\n"
      "  http-request set-var(txn.who) hdr(x-user)\n"
      "  http-request deny deny_status 429 if { hdr(x-user) mallory }\n");
  ASSERT_TRUE(rs) << rs.error().message;
  Req r("GET /api/x?q=1 HTTP/1.1\r\nHost: h\r\nX-Secret: s\r\nUser-Agent: curl/8.0\r\nX-User: bob\r\n\r\n");
  auto v = (*rs)->run_http_request(r.ctx, r.head, nullptr);
  EXPECT_EQ(v.kind, HttpVerdict::Kind::next);
  EXPECT_EQ(r.head.find("x-forwarded-proto")->value, "http");
  EXPECT_EQ(r.head.find("x-client")->value, "192.0.2.10:40000");
  EXPECT_EQ(r.head.find("x-secret"), nullptr);
  EXPECT_EQ(r.head.find("user-agent")->value, "Curl-8.0");
  EXPECT_EQ(r.head.target, "/v2/api/x?q=1");
  EXPECT_EQ(r.ctx.vars.back(), (std::pair<std::string, std::string>{"txn.who", "bob"}));
  Req m("GET / HTTP/1.1\r\nHost: h\r\nX-User: mallory\r\n\r\n");
  auto d = (*rs)->run_http_request(m.ctx, m.head, nullptr);
  EXPECT_EQ(d.kind, HttpVerdict::Kind::deny);
  EXPECT_EQ(d.status, 429);
}

TEST(RuleSet, SetVarWithNothingFoundLeavesTheVariableUnset) {
  // As HAProxy: var() then finds nothing, not an empty string.
  auto rs = rules_of("frontend f\n  mode http\n  http-request set-var(txn.who) hdr(x-user)\n");
  ASSERT_TRUE(rs) << rs.error().message;
  Req r("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  (*rs)->run_http_request(r.ctx, r.head, nullptr);
  EXPECT_TRUE(r.ctx.vars.empty());
}

TEST(RuleSet, AllowStopsTheRules) {
  auto rs = rules_of(
      "frontend f\n  mode http\n  acl whitelisted src 192.0.2.10\n  http-request allow if whitelisted\n"
      "  http-request deny\n");
  ASSERT_TRUE(rs);
  Req ok("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ((*rs)->run_http_request(ok.ctx, ok.head, nullptr).kind, HttpVerdict::Kind::allow);
  Req other("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  other.ctx.src = asio::ip::make_address("203.0.113.1");
  EXPECT_EQ((*rs)->run_http_request(other.ctx, other.head, nullptr).kind, HttpVerdict::Kind::deny);
}

TEST(RuleSet, Redirects) {
  auto rs = rules_of(
      "frontend f\n  mode http\n  redirect scheme https code 301 if !{ ssl_fc }\n");
  ASSERT_TRUE(rs);
  Req r("GET /a/b?x=1 HTTP/1.1\r\nHost: www.example.com:80\r\n\r\n");
  auto v = (*rs)->run_redirects(r.ctx);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->status, 301);
  EXPECT_EQ(v->location, "https://www.example.com/a/b?x=1");
  auto p = rules_of("frontend f\n  mode http\n  http-request redirect prefix /new drop-query append-slash\n");
  ASSERT_TRUE(p);
  auto pv = (*p)->run_http_request(r.ctx, r.head, nullptr);
  EXPECT_EQ(pv.kind, HttpVerdict::Kind::redirect);
  EXPECT_EQ(pv.status, 302);
  EXPECT_EQ(pv.location, "/new/a/b/");
}

TEST(RuleSet, Errors) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"frontend f\n  mode http\n  http-request frobnicate\n", "p.cfg:3: http-request: unknown action 'frobnicate'"},
      {"frontend f\n  mode http\n  http-request deny if nope\n", "p.cfg:3: http-request deny: no such ACL : 'nope'"},
      {"frontend f\n  mode http\n  http-request set-header Content-Length 5\n",
       "p.cfg:3: http-request set-header: 'Content-Length' cannot be rewritten: it frames the message"},
      {"frontend f\n  mode http\n  http-request deny deny_status 99\n", "p.cfg:3: http-request deny: deny_status must be in 200..599"},
      {"frontend f\n  mode tcp\n  http-request deny\n", "p.cfg:3: http-request: needs mode http (f is in tcp mode)"},
      {"frontend f\n  mode tcp\n  tcp-request connection reject if { path_beg /x }\n",
       "p.cfg:3: tcp-request connection reject: a connection rule cannot read the request (use tcp-request content or http-request)"},
      {"frontend f\n  mode http\n  use_backend nope\n", "p.cfg:3: use_backend: no backend named 'nope'"},
      {"frontend f\n  mode http\n  redirect scheme https code 305\n", "p.cfg:3: redirect: code must be 301, 302, 303, 307 or 308"},
      {"frontend f\n  mode http\n  http-request track-sc0 src\n",
       "p.cfg:3: http-request track-sc0: track-sc0: this proxy has no stick-table; name one with 'table'"},
      {"frontend f\n  mode http\n  monitor fail if { path_beg /x }\n",
       "p.cfg:3: monitor: the condition must not depend on a request (it decides the node's readiness)"},
      {"frontend f\n  mode http\n  http-request return status 200 string hi\n",
       "p.cfg:3: http-request return: a body needs a content-type"},
  };
  for (const auto& c : cases) {
    auto rs = rules_of(c.text);
    ASSERT_FALSE(rs) << c.text;
    EXPECT_EQ(rs.error().message, c.want);
  }
}

// tcp-request content over the bytes buffered so far: a condition on a
// value that may still change (req.len, WAIT_END) waits until it holds or
// the evaluation is final (inspect-delay over, buffer full, client closed).
TEST(RuleSet, TcpContentWaitsForReqLenAndWaitEnd) {
  using V = RuleSet::TcpVerdict;
  auto rs = rules_of(
      "frontend f\n  mode tcp\n  tcp-request inspect-delay 2s\n"
      "  tcp-request content accept if { req.len ge 10 }\n"
      "  tcp-request content reject if WAIT_END\n");
  ASSERT_TRUE(rs) << rs.error().message;
  EXPECT_EQ((*rs)->inspect_delay(), config::Millis(2000));
  EvalContext ctx;
  ctx.content_final = false;
  ctx.req_len = 0;
  EXPECT_EQ((*rs)->run_tcp_content(ctx, nullptr), V::wait);
  ctx.req_len = 9;
  EXPECT_EQ((*rs)->run_tcp_content(ctx, nullptr), V::wait);
  ctx.req_len = 10;
  EXPECT_EQ((*rs)->run_tcp_content(ctx, nullptr), V::accept);
  ctx.req_len = 4;
  ctx.content_final = true;  // the delay expired with 4 bytes: req.len fails, WAIT_END holds
  EXPECT_EQ((*rs)->run_tcp_content(ctx, nullptr), V::reject);

  // Negation and `unless` keep an undecided term undecided; a decided OR
  // branch decides at once.
  auto neg = rules_of(
      "frontend f\n  mode tcp\n  tcp-request inspect-delay 1s\n"
      "  tcp-request content reject if !{ req.len gt 3 }\n"
      "  tcp-request content reject unless { req.len lt 100 }\n"
      "  tcp-request content accept if { src 192.0.2.0/24 } || WAIT_END\n"
      "  tcp-request content reject\n");
  ASSERT_TRUE(neg) << neg.error().message;
  EvalContext c2;
  c2.content_final = false;
  c2.src = asio::ip::make_address("203.0.113.1");
  c2.req_len = 2;
  EXPECT_EQ((*neg)->run_tcp_content(c2, nullptr), V::wait);  // !{req.len gt 3}: undecided
  c2.req_len = 5;
  EXPECT_EQ((*neg)->run_tcp_content(c2, nullptr), V::wait);  // {req.len lt 100} holds; WAIT_END not yet
  c2.src = asio::ip::make_address("192.0.2.1");
  EXPECT_EQ((*neg)->run_tcp_content(c2, nullptr), V::accept);  // the src branch passes
  c2.src = asio::ip::make_address("203.0.113.1");
  c2.content_final = true;
  EXPECT_EQ((*neg)->run_tcp_content(c2, nullptr), V::accept);  // WAIT_END
  c2.req_len = 2;
  EXPECT_EQ((*neg)->run_tcp_content(c2, nullptr), V::reject);  // final: 2 is not > 3

  // Without inspection (the bool API, HTTP mode's content rules): final.
  EvalContext c3;
  c3.req_len = 0;
  EXPECT_FALSE((*rs)->run_tcp(c3, true, nullptr));  // WAIT_END is true at once

  auto conn = rules_of("frontend f\n  mode tcp\n  tcp-request connection reject if { req.len gt 0 }\n");
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().message,
            "p.cfg:3: tcp-request connection reject: a connection rule cannot read the request (use tcp-request "
            "content or http-request)");
}

TEST(Userlist, InsecureAndCryptPasswords) {
  config::Userlist cfg;
  cfg.name = "TrustedPeople";
  // "secret" hashed with SHA-512 crypt (salt "saltsalt")
  cfg.users.push_back({"alice", "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1", false, {"admins"}, {}});
  cfg.users.push_back({"bob", "password123", true, {}, {}});
  cfg.groups.push_back({"ops", {"bob"}, {}});
  Userlist ul(cfg);
  auto basic = [](std::string_view creds) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned v = 0;
    int bits = 0;
    for (unsigned char c : creds) {
      v = (v << 8) | c;
      bits += 8;
      while (bits >= 6) out.push_back(tbl[(v >> (bits -= 6)) & 63]);
    }
    if (bits) out.push_back(tbl[(v << (6 - bits)) & 63]);
    while (out.size() % 4) out.push_back('=');
    return out;
  };
  Req ok("GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Basic " + basic("bob:password123") + "\r\n\r\n");
  EXPECT_EQ(ul.authenticate(ok.head), "bob");
  EXPECT_EQ(ul.groups_of("bob"), "ops");
  Req wrong("GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Basic " + basic("bob:nope") + "\r\n\r\n");
  EXPECT_FALSE(ul.authenticate(wrong.head));
  Req hashed("GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Basic " + basic("alice:secret") + "\r\n\r\n");
  EXPECT_EQ(ul.authenticate(hashed.head), "alice");
  EXPECT_EQ(ul.groups_of("alice"), "admins");
  Req none("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_FALSE(ul.authenticate(none.head));
  EXPECT_EQ(base64_decode("Ym9iOnB3"), "bob:pw");
  EXPECT_FALSE(base64_decode("@@@"));
}

}  // namespace
}  // namespace tandem::balancer::rules
