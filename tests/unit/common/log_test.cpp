#include "common/log.h"

#include <gtest/gtest.h>

#include <vector>

namespace tandem::log {
namespace {

TEST(Log, LevelsFilterAndSinkCaptures) {
  std::vector<std::pair<Level, std::string>> seen;
  set_sink([&](Level l, std::string_view m) { seen.emplace_back(l, std::string(m)); });
  set_level(Level::notice);
  info("hidden");
  notice("Server ", "web/app1", " is DOWN");
  error("code ", 500);
  set_sink({});
  set_level(Level::info);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].first, Level::notice);
  EXPECT_EQ(seen[0].second, "Server web/app1 is DOWN");
  EXPECT_EQ(seen[1].second, "code 500");
}

TEST(Log, ParseLevel) {
  EXPECT_EQ(parse_level("debug"), Level::debug);
  EXPECT_EQ(parse_level("err"), Level::err);
  EXPECT_EQ(parse_level("warning"), Level::warning);
  EXPECT_FALSE(parse_level("loud"));
}

TEST(Log, RateLimitLetsABurstThroughThenCountsTheRest) {
  RateLimit limit(2, Millis(1000));
  SteadyTime t0{std::chrono::seconds(100)};
  unsigned long long suppressed = 99;
  EXPECT_TRUE(limit.allow(t0, suppressed));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_TRUE(limit.allow(t0, suppressed));
  EXPECT_FALSE(limit.allow(t0 + Millis(10), suppressed));
  EXPECT_FALSE(limit.allow(t0 + Millis(20), suppressed));
  EXPECT_TRUE(limit.allow(t0 + Millis(1000), suppressed));
  EXPECT_EQ(suppressed, 2u);
}

}  // namespace
}  // namespace tandem::log
