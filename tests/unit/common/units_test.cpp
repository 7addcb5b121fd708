#include "common/config/units.h"

#include <gtest/gtest.h>

namespace tandem::config {
namespace {

using namespace std::chrono_literals;

TEST(Units, TimesWithEveryUnit) {
  struct Case {
    const char* text;
    std::chrono::microseconds want;
  } cases[] = {{"0", 0us},          {"500", 500ms},    {"500ms", 500ms}, {"250us", 250us}, {"2s", 2s},
               {"1m", 1min},        {"3h", 3h},        {"1d", 24h},      {"10000", 10s},   {"3600s", 1h}};
  for (const auto& c : cases) {
    auto r = parse_time(c.text);
    ASSERT_TRUE(r) << c.text;
    EXPECT_EQ(*r, c.want) << c.text;
  }
}

TEST(Units, MillisecondsRoundUp) {
  EXPECT_EQ(*parse_time_ms("1us"), 1ms);
  EXPECT_EQ(*parse_time_ms("1500us"), 2ms);
  EXPECT_EQ(*parse_time_ms("0"), 0ms);
}

TEST(Units, BadTimes) {
  for (const char* t : {"", "s", "-1s", "1x", "1 s", "1.5s", "99999999999999999999", "30d"}) {
    EXPECT_FALSE(parse_time(t)) << t;
  }
}

TEST(Units, Sizes) {
  EXPECT_EQ(*parse_size("16384"), 16384u);
  EXPECT_EQ(*parse_size("16k"), 16384u);
  EXPECT_EQ(*parse_size("200K"), 204800u);
  EXPECT_EQ(*parse_size("1m"), 1048576u);
  EXPECT_EQ(*parse_size("2g"), 2147483648u);
  for (const char* t : {"", "k", "1t", "-1", "1.5k", "99999999999999999999g"}) EXPECT_FALSE(parse_size(t)) << t;
}

}  // namespace
}  // namespace tandem::config
