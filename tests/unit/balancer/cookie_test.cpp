#include "balancer/rules/cookie.h"

#include <gtest/gtest.h>

namespace tandem::balancer::rules {
namespace {

using H = std::vector<http::Header>;

config::CookieConfig cfg(config::CookieConfig::Mode m) {
  config::CookieConfig c;
  c.name = "SRV";
  c.mode = m;
  return c;
}

std::vector<std::string> set_cookies(const H& hs) {
  std::vector<std::string> out;
  for (const auto& h : hs)
    if (h.name == "set-cookie" || h.name == "Set-Cookie") out.emplace_back(h.value);
  return out;
}

TEST(Cookie, RequestSideStripsWhatTheModeSays) {
  EvalContext ctx;
  auto c = cfg(config::CookieConfig::Mode::insert);
  c.indirect = true;
  H req{{"Cookie", "a=1; SRV=s2; b=2"}};
  auto seen = take_request_cookie(c, req, ctx, 1000);
  EXPECT_TRUE(seen.valid);
  EXPECT_EQ(seen.value, "s2");
  EXPECT_EQ(req[0].value, "a=1; b=2");
  H only{{"Cookie", "SRV=s2"}};
  (void)take_request_cookie(c, only, ctx, 1000);
  EXPECT_TRUE(only.empty());
  auto p = cfg(config::CookieConfig::Mode::prefix);
  H pre{{"Cookie", "SRV=s1~sess42"}};
  auto ps = take_request_cookie(p, pre, ctx, 1000);
  EXPECT_EQ(ps.value, "s1");
  EXPECT_EQ(pre[0].value, "SRV=sess42");
}

TEST(Cookie, DatesExpire) {
  EvalContext ctx;
  auto c = cfg(config::CookieConfig::Mode::insert);
  c.maxidle = std::chrono::seconds(60);
  c.maxlife = std::chrono::seconds(3600);
  H fresh{{"Cookie", "SRV=s1|3e8|3e8"}};  // seen at t=1000
  EXPECT_TRUE(take_request_cookie(c, fresh, ctx, 1050).valid);
  H idle{{"Cookie", "SRV=s1|3e8|3e8"}};
  EXPECT_FALSE(take_request_cookie(c, idle, ctx, 1061).valid);
  H old{{"Cookie", "SRV=s1|1194|3e8"}};  // active at 4500, born at 1000
  EXPECT_FALSE(take_request_cookie(c, old, ctx, 4601).valid);
  H junk{{"Cookie", "SRV=s1|zz|3e8"}};
  EXPECT_FALSE(take_request_cookie(c, junk, ctx, 1001).valid);
}

TEST(Cookie, InsertSetsRemovesAndPreserves) {
  EvalContext ctx;
  auto c = cfg(config::CookieConfig::Mode::insert);
  H resp{{"Set-Cookie", "SRV=app-set; path=/x"}, {"Content-Length", "0"}};
  apply_response_cookie(c, CookieSeen{}, "s1", http::Method::get, resp, ctx, 1000);
  EXPECT_EQ(set_cookies(resp), std::vector<std::string>{"SRV=s1; path=/"});  // the server's own one removed
  c.preserve = true;
  H kept{{"Set-Cookie", "SRV=app-set"}};
  apply_response_cookie(c, CookieSeen{}, "s1", http::Method::get, kept, ctx, 1000);
  EXPECT_EQ(set_cookies(kept), std::vector<std::string>{"SRV=app-set"});
  c.preserve = false;
  c.postonly = true;
  H get_resp;
  apply_response_cookie(c, CookieSeen{}, "s1", http::Method::get, get_resp, ctx, 1000);
  EXPECT_TRUE(get_resp.empty());
  apply_response_cookie(c, CookieSeen{}, "s1", http::Method::post, get_resp, ctx, 1000);
  EXPECT_EQ(set_cookies(get_resp).size(), 1u);
  // No cookie value on the server: nothing.
  H none;
  apply_response_cookie(c, CookieSeen{}, "", http::Method::post, none, ctx, 1000);
  EXPECT_TRUE(none.empty());
}

TEST(Cookie, NocacheMakesCacheableResponsesPrivate) {
  EvalContext ctx;
  auto c = cfg(config::CookieConfig::Mode::insert);
  c.nocache = true;
  H resp{{"Cache-Control", "public, max-age=600"}};
  apply_response_cookie(c, CookieSeen{}, "s1", http::Method::get, resp, ctx, 1000);
  bool private_ = false, public_ = false;
  for (const auto& h : resp) {
    if (h.value == "private") private_ = true;
    if (h.value.find("public") != std::string_view::npos) public_ = true;
  }
  EXPECT_TRUE(private_);
  EXPECT_FALSE(public_);
}

TEST(Cookie, DatedCookiesAreRefreshedBeforeGoingIdle) {
  EvalContext ctx;
  auto c = cfg(config::CookieConfig::Mode::insert);
  c.maxidle = std::chrono::seconds(400);
  CookieSeen seen{"s1", true, 1000, 1000};
  H recent;
  apply_response_cookie(c, seen, "s1", http::Method::get, recent, ctx, 1050);  // 50 s < 400/4
  EXPECT_TRUE(recent.empty());
  H later;
  apply_response_cookie(c, seen, "s1", http::Method::get, later, ctx, 1150);
  ASSERT_EQ(set_cookies(later).size(), 1u);
  EXPECT_EQ(set_cookies(later)[0], "SRV=s1|47e|3e8; path=/");  // last seen now (0x47e), born at 0x3e8
}

TEST(Cookie, RewriteAndPrefixChangeTheServersCookie) {
  EvalContext ctx;
  H rw{{"Set-Cookie", "SRV=whatever; Path=/; HttpOnly"}};
  apply_response_cookie(cfg(config::CookieConfig::Mode::rewrite), CookieSeen{}, "s2", http::Method::get, rw, ctx, 1);
  EXPECT_EQ(set_cookies(rw)[0], "SRV=s2; Path=/; HttpOnly");
  H px{{"Set-Cookie", "SRV=sess9; Path=/"}, {"Set-Cookie", "other=1"}};
  apply_response_cookie(cfg(config::CookieConfig::Mode::prefix), CookieSeen{}, "s2", http::Method::get, px, ctx, 1);
  EXPECT_EQ(set_cookies(px), (std::vector<std::string>{"SRV=s2~sess9; Path=/", "other=1"}));
}

}  // namespace
}  // namespace tandem::balancer::rules
