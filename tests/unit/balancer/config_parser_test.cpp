#include "balancer/config/parser.h"

#include <gtest/gtest.h>

namespace tandem::balancer::config {
namespace {

Result<Config> parse_text(std::string_view text) {
  auto lines = tandem::config::lex(text, "b.cfg");
  if (!lines) return std::unexpected(lines.error());
  return parse(*lines);
}

TEST(BalancerConfig, SectionsAndGlobal) {
  auto c = parse_text("global\n  maxconn 100\n  nbthread 2\n  daemon\nfrontend web\n  mode http\nbackend app\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->global.maxconn, 100u);
  EXPECT_EQ(c->global.nbthread, 2u);
  EXPECT_TRUE(c->global.daemon);
  ASSERT_EQ(c->proxies.size(), 2u);
  EXPECT_EQ(c->proxies[0].name, "web");
  EXPECT_EQ(c->proxies[0].mode, Mode::http);
  EXPECT_EQ(c->proxies[1].kind, Proxy::Kind::backend);
}

TEST(BalancerConfig, UnknownKeywordNamesFileLineAndKeyword) {
  auto c = parse_text("global\n  maxconn 100\n  frobnicate yes\n");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "b.cfg:3: frobnicate: unknown keyword in section 'global'");
}

TEST(BalancerConfig, OutOfRangeValue) {
  auto c = parse_text("global\n  nbthread 0\n");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "b.cfg:2: nbthread: '0' is not a number in 1..64");
}

}  // namespace
}  // namespace tandem::balancer::config
