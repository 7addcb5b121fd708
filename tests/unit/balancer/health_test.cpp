// The health state machine with a manual clock, and check-response judging.
#include <gtest/gtest.h>

#include "balancer/config/parse_check.h"
#include "balancer/health/check_eval.h"
#include "balancer/health/health_state.h"
#include "common/clock.h"

namespace tandem::balancer::health {
namespace {

using namespace std::chrono_literals;

CheckResult ok() { return {CheckStatus::l7ok, 200, "OK", 1ms}; }
CheckResult bad() { return {CheckStatus::l7sts, 500, "Internal", 1ms}; }

HealthParams params(std::uint32_t rise, std::uint32_t fall) {
  HealthParams p;
  p.rise = rise;
  p.fall = fall;
  p.inter = 2000ms;
  p.fastinter = 500ms;
  p.downinter = 5000ms;
  return p;
}

TEST(HealthState, StartsUpAndTheFirstFailureTakesItDown) {
  ManualClock clock;
  HealthState h(params(2, 3));
  EXPECT_TRUE(h.up());
  auto t = h.on_check(bad(), clock.now());
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->up);
  EXPECT_EQ(t->cause.code, 500);
}

TEST(HealthState, RiseSuccessesBringItUpThenFallFailuresTakeItDown) {
  ManualClock clock;
  HealthState h(params(2, 5));  // the Fedora SOP's `rise 2 fall 5`
  (void)h.on_check(bad(), clock.now());
  ASSERT_FALSE(h.up());
  EXPECT_FALSE(h.on_check(ok(), clock.now()));
  auto up = h.on_check(ok(), clock.now());
  ASSERT_TRUE(up);
  EXPECT_TRUE(up->up);
  EXPECT_EQ(h.counter(), h.max_counter());
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(h.on_check(bad(), clock.now())) << i;
  auto down = h.on_check(bad(), clock.now());
  ASSERT_TRUE(down);
  EXPECT_FALSE(down->up);
}

TEST(HealthState, AFailureAmongSuccessesDoesNotFlap) {
  ManualClock clock;
  HealthState h(params(2, 3));
  (void)h.on_check(ok(), clock.now());
  (void)h.on_check(bad(), clock.now());
  (void)h.on_check(ok(), clock.now());
  (void)h.on_check(bad(), clock.now());
  EXPECT_TRUE(h.up());
}

TEST(HealthState, Intervals) {
  ManualClock clock;
  HealthState h(params(2, 3));
  // Starting at `rise` is a transitional state: fastinter.
  EXPECT_EQ(h.next_interval(), 500ms);
  (void)h.on_check(ok(), clock.now());
  (void)h.on_check(ok(), clock.now());
  EXPECT_EQ(h.next_interval(), 2000ms);  // fully up: inter
  (void)h.on_check(bad(), clock.now());
  EXPECT_EQ(h.next_interval(), 500ms);   // going down: fastinter
  (void)h.on_check(bad(), clock.now());
  (void)h.on_check(bad(), clock.now());
  ASSERT_FALSE(h.up());
  EXPECT_EQ(h.next_interval(), 5000ms);  // fully down: downinter
  (void)h.on_check(ok(), clock.now());
  EXPECT_EQ(h.next_interval(), 500ms);   // coming up: fastinter
}

TEST(HealthState, DisableOn404IsNolbWhileUpAndDownWhileDown) {
  ManualClock clock;
  HealthState h(params(2, 3));
  CheckResult c404{CheckStatus::l7okc, 404, "Not Found", 1ms};
  EXPECT_FALSE(h.on_check(c404, clock.now()));
  EXPECT_TRUE(h.up());
  EXPECT_TRUE(h.nolb());
  (void)h.on_check(ok(), clock.now());
  EXPECT_FALSE(h.nolb());
  (void)h.on_check(bad(), clock.now());
  (void)h.on_check(bad(), clock.now());
  (void)h.on_check(bad(), clock.now());
  ASSERT_FALSE(h.up());
  (void)h.on_check(c404, clock.now());
  (void)h.on_check(c404, clock.now());
  EXPECT_FALSE(h.up());
}

TEST(HealthState, OnErrorActions) {
  ManualClock clock;
  auto run = [&](OnError action) {
    HealthParams p = params(2, 3);
    p.on_error = action;
    HealthState h(p);
    (void)h.on_check(ok(), clock.now());
    (void)h.on_check(ok(), clock.now());  // fully up: counter 4
    auto t = h.on_error_limit(clock.now());
    return std::make_pair(std::move(h), t);
  };
  {
    auto [h, t] = run(OnError::fastinter);
    EXPECT_FALSE(t);
    EXPECT_TRUE(h.up());
    EXPECT_EQ(h.counter(), 4u);
    EXPECT_EQ(h.next_interval(), 500ms);
  }
  {
    auto [h, t] = run(OnError::fail_check);
    EXPECT_FALSE(t);
    EXPECT_EQ(h.counter(), 3u);
  }
  {
    auto [h, t] = run(OnError::sudden_death);
    EXPECT_FALSE(t);
    EXPECT_TRUE(h.up());
    auto next = h.on_check(bad(), clock.now());  // one more failure: down
    ASSERT_TRUE(next);
    EXPECT_FALSE(next->up);
  }
  {
    auto [h, t] = run(OnError::mark_down);
    ASSERT_TRUE(t);
    EXPECT_FALSE(t->up);
    EXPECT_EQ(t->cause.status, CheckStatus::hana);
  }
}

TEST(HealthState, SlowstartRampsTheWeight) {
  ManualClock clock;
  HealthParams p = params(1, 1);
  p.slowstart = 10s;
  HealthState h(p);
  EXPECT_FALSE(h.starting(clock.now()));  // up from the start: no ramp
  (void)h.on_check(bad(), clock.now());
  auto up = h.on_check(ok(), clock.now());
  ASSERT_TRUE(up);
  EXPECT_TRUE(h.starting(clock.now()));
  EXPECT_EQ(h.effective_weight(100, clock.now()), 1u);
  clock.advance(2500ms);
  EXPECT_EQ(h.effective_weight(100, clock.now()), 25u);
  clock.advance(5000ms);
  EXPECT_EQ(h.effective_weight(100, clock.now()), 75u);
  clock.advance(2500ms);
  EXPECT_FALSE(h.starting(clock.now()));
  EXPECT_EQ(h.effective_weight(100, clock.now()), 100u);
  EXPECT_EQ(h.effective_weight(0, clock.now()), 0u);
}

config::CheckSpec http_spec(std::vector<std::string> lines) {
  config::CheckSpec c;
  c.kind = config::CheckSpec::Kind::http;
  for (const auto& text : lines) {
    auto l = tandem::config::lex(text, "t.cfg");
    EXPECT_TRUE(l);
    auto r = config::parse_http_check(c, l->front());
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
  }
  return c;
}

TEST(CheckEval, RequestForms) {
  config::CheckSpec c;
  auto l = tandem::config::lex(R"(option httpchk GET /health HTTP/1.1\r\nHost:\ localhost)", "t.cfg");
  ASSERT_TRUE(config::parse_option_httpchk(c, l->front(), 2));
  EXPECT_EQ(build_http_check_request(c), "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  config::CheckSpec d;
  auto l2 = tandem::config::lex("option httpchk", "t.cfg");
  ASSERT_TRUE(config::parse_option_httpchk(d, l2->front(), 2));
  EXPECT_EQ(build_http_check_request(d), "OPTIONS / HTTP/1.0\r\nConnection: close\r\n\r\n");
  auto e = http_spec({"http-check send meth GET uri /health ver HTTP/1.1 hdr Host localhost"});
  EXPECT_EQ(build_http_check_request(e), "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
}

TEST(CheckEval, DefaultExpectationIs2xxOr3xx) {
  config::CheckSpec c;
  c.kind = config::CheckSpec::Kind::http;
  EXPECT_EQ(judge_http(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false)->status, CheckStatus::l7ok);
  EXPECT_EQ(judge_http(c, "HTTP/1.1 302 Found\r\n\r\n", false)->status, CheckStatus::l7ok);
  auto r = judge_http(c, "HTTP/1.1 500 Internal Server Error\r\n\r\n", false);
  EXPECT_EQ(r->status, CheckStatus::l7sts);
  EXPECT_EQ(r->code, 500);
  EXPECT_EQ(r->info, "Internal Server Error");
  EXPECT_FALSE(judge_http(c, "HTTP/1.1 200 O", false));  // need more
  EXPECT_EQ(judge_http(c, "HTTP/1.1 200 O", true)->status, CheckStatus::l7rsp);
}

TEST(CheckEval, ExpectRulesAllMustPass) {
  auto c = http_spec({"http-check expect status 200", R"(http-check expect string "OK")"});
  EXPECT_EQ(judge_http(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nOK\n", false)->status, CheckStatus::l7ok);
  EXPECT_EQ(judge_http(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nsick\n", false)->status, CheckStatus::l7rsp);
  EXPECT_EQ(judge_http(c, "HTTP/1.1 201 OK\r\nContent-Length: 3\r\n\r\nOK\n", false)->status, CheckStatus::l7sts);
  // The body is awaited while incomplete.
  EXPECT_FALSE(judge_http(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nO", false));
  // Chunked bodies are decoded before matching.
  EXPECT_EQ(judge_http(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nO\r\n2\r\nK!\r\n0\r\n\r\n", false)->status,
            CheckStatus::l7ok);
  auto ranges = http_spec({"http-check expect status 200-299,404"});
  EXPECT_EQ(judge_http(ranges, "HTTP/1.1 404 NF\r\n\r\n", false)->status, CheckStatus::l7ok);
  auto neg = http_spec({"http-check expect ! rstatus ^5"});
  EXPECT_EQ(judge_http(neg, "HTTP/1.1 418 T\r\n\r\n", false)->status, CheckStatus::l7ok);
  EXPECT_EQ(judge_http(neg, "HTTP/1.1 503 U\r\n\r\n", false)->status, CheckStatus::l7sts);
  auto rstr = http_spec({R"(http-check expect rstring ^up\ [0-9]+)"});
  EXPECT_EQ(judge_http(rstr, "HTTP/1.1 200 OK\r\n\r\nup 42\n", true)->status, CheckStatus::l7ok);
}

TEST(CheckEval, DisableOn404) {
  auto c = http_spec({"http-check disable-on-404"});
  EXPECT_EQ(judge_http(c, "HTTP/1.1 404 Not Found\r\n\r\n", false)->status, CheckStatus::l7okc);
}

TEST(CheckEval, HostileResponsesEndInAVerdict) {
  config::CheckSpec c;
  c.kind = config::CheckSpec::Kind::http;
  EXPECT_EQ(judge_http(c, "garbage\r\n\r\n", false)->status, CheckStatus::l7rsp);
  std::string endless = "HTTP/1.1 200 OK\r\nX: " + std::string(kMaxCheckResponse, 'a');
  EXPECT_EQ(judge_http(c, endless, false)->status, CheckStatus::l7rsp);
  auto body = http_spec({R"(http-check expect string "needle")"});
  std::string huge = "HTTP/1.1 200 OK\r\n\r\n" + std::string(100000, 'h');
  EXPECT_EQ(judge_http(body, huge, false)->status, CheckStatus::l7rsp);  // judged on the first 16 kB
}

TEST(CheckEval, TcpExpect) {
  config::TcpCheckStep s;
  s.kind = config::TcpCheckStep::Kind::expect;
  s.match = config::TcpCheckStep::Match::string;
  s.data = "+PONG";
  EXPECT_EQ(judge_tcp_expect(s, "+PO", false), Match::need_more);
  EXPECT_EQ(judge_tcp_expect(s, "+PONG\r\n", false), Match::matched);
  EXPECT_EQ(judge_tcp_expect(s, "-ERR", true), Match::failed);
  s.negate = true;
  EXPECT_EQ(judge_tcp_expect(s, "-ERR", false), Match::need_more);
  EXPECT_EQ(judge_tcp_expect(s, "-ERR", true), Match::matched);
  EXPECT_EQ(judge_tcp_expect(s, "+PONG", false), Match::failed);
}

}  // namespace
}  // namespace tandem::balancer::health
