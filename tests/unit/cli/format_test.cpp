#include "cli/format.h"

#include <gtest/gtest.h>

namespace tandem::cli {
namespace {

TEST(CliFormat, DurationsUseTwoUnitsAtMost) {
  struct Case {
    long long ms;
    const char* text;
  } cases[] = {{-5, "0ms"},           {0, "0ms"},        {250, "250ms"},       {999, "999ms"},
               {1000, "1s"},          {12'400, "12s"},   {60'000, "1m"},       {303'000, "5m03s"},
               {3'599'000, "59m59s"}, {3'600'000, "1h"}, {7'500'000, "2h05m"}, {86'400'000, "1d"},
               {273'600'000, "3d04h"}};
  for (const Case& c : cases) EXPECT_EQ(duration_text(c.ms), c.text) << c.ms;
}

TEST(CliFormat, InboundShowsALagOnlyWhenThereIsOne) {
  EXPECT_EQ(inbound_text(false, 0), "down");
  EXPECT_EQ(inbound_text(false, 40), "down");
  EXPECT_EQ(inbound_text(true, 0), "up");
  EXPECT_EQ(inbound_text(true, -3), "up");  // the peer's clock ahead of ours
  EXPECT_EQ(inbound_text(true, 12), "up (lag 12 ms)");
}

TEST(CliFormat, UtcTimesHaveMilliseconds) {
  EXPECT_EQ(utc_time_text(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(utc_time_text(1'795'230'325'123), "2026-11-21T03:05:25.123Z");
  EXPECT_EQ(utc_time_text(-1), "1969-12-31T23:59:59.999Z");
}

TEST(CliFormat, IpKeys) {
  EXPECT_EQ(ip_text(std::string("\xc0\x00\x02\x01", 4)), "192.0.2.1");
  EXPECT_EQ(ip_text(std::string("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16)), "2001:db8::1");
  // IPv4 keys in an ipv6 table are stored v4-mapped: shown as IPv4.
  EXPECT_EQ(ip_text(std::string("\0\0\0\0\0\0\0\0\0\0\xff\xff\xc6\x12\0\x01", 16)), "198.18.0.1");
  EXPECT_EQ(ip_text(std::string("\x01\x02", 2)), "0x0102");
  EXPECT_EQ(hex_text(std::string("\x00\xab\xff", 3)), "00abff");
}

TEST(CliFormat, SlidingRateCountsThePreviousPeriodsShareOfTheTimeLeft) {
  EXPECT_EQ(sliding_rate(5, 10, 0, 10'000), 15u);      // at the start: all of the previous period
  EXPECT_EQ(sliding_rate(5, 10, 5'000, 10'000), 10u);  // half way: half of it
  EXPECT_EQ(sliding_rate(5, 10, 10'000, 10'000), 5u);  // at the end: none
  EXPECT_EQ(sliding_rate(5, 10, 0, 0), 5u);            // no period: the counter
  // Large counters do not overflow.
  EXPECT_EQ(
      sliding_rate(0, 1ULL << 62, 1, 4'000'000'000u),
      (1ULL << 62) / 4'000'000'000u * 3'999'999'999u + (1ULL << 62) % 4'000'000'000u * 3'999'999'999u / 4'000'000'000u);
}

}  // namespace
}  // namespace tandem::cli
