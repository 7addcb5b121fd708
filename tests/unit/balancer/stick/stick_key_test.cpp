#include "balancer/stick/stick_key.h"

#include <gtest/gtest.h>

#include <set>

namespace tandem::balancer::stick {
namespace {

std::string text_roundtrip(KeyFormat f, std::string_view in) {
  KeyBuf b;
  auto r = parse_key_text(f, in, b);
  if (!r) return "error: " + r.error().message;
  return format_key_text(f, b.view());
}

TEST(StickKey, TextRoundTrips) {
  EXPECT_EQ(text_roundtrip({KeyType::ip, 4}, "192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(text_roundtrip({KeyType::ip, 4}, "::ffff:192.0.2.1"), "192.0.2.1");  // v4-mapped accepted
  EXPECT_EQ(text_roundtrip({KeyType::ipv6, 16}, "2001:db8::1"), "2001:db8::1");
  EXPECT_EQ(text_roundtrip({KeyType::ipv6, 16}, "192.0.2.1"), "::ffff:192.0.2.1");
  EXPECT_EQ(text_roundtrip({KeyType::integer, 4}, "-42"), "-42");
  EXPECT_EQ(text_roundtrip({KeyType::string, 8}, "abc"), "abc");
  EXPECT_EQ(text_roundtrip({KeyType::binary, 4}, "0aFF"), "0aff0000");  // zero-padded to len
}

TEST(StickKey, TextErrors) {
  EXPECT_EQ(text_roundtrip({KeyType::ip, 4}, "2001:db8::1"), "error: '2001:db8::1' is not an IPv4 address");
  EXPECT_EQ(text_roundtrip({KeyType::ip, 4}, "1.2.3"), "error: '1.2.3' is not an IPv4 address");
  EXPECT_EQ(text_roundtrip({KeyType::integer, 4}, "4294967296"), "error: '4294967296' is not a 32-bit integer");
  EXPECT_EQ(text_roundtrip({KeyType::string, 2}, "abc"), "error: key is 3 bytes, longer than the table's len 2");
  EXPECT_EQ(text_roundtrip({KeyType::binary, 4}, "abc"), "error: 'abc' is not hex (an odd number of digits)");
  EXPECT_EQ(text_roundtrip({KeyType::binary, 4}, "zz"), "error: 'zz' is not hex");
  EXPECT_EQ(text_roundtrip({KeyType::binary, 1}, "0102"), "error: key is 2 bytes, longer than the table's len 1");
}

TEST(StickKey, SamplesBecomeKeysAsHAProxyConvertsThem) {
  KeyBuf b;
  const std::uint8_t v4[4] = {192, 0, 2, 1};
  std::uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
  std::uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
  ASSERT_TRUE(key_from_ipv4({KeyType::ipv6, 16}, v4, b));
  EXPECT_EQ(b.view().bytes(), std::string_view(reinterpret_cast<char*>(mapped), 16));
  ASSERT_TRUE(key_from_ipv6({KeyType::ip, 4}, mapped, b));
  EXPECT_EQ(b.view().bytes(), std::string_view(reinterpret_cast<const char*>(v4), 4));
  EXPECT_FALSE(key_from_ipv6({KeyType::ip, 4}, v6, b));
  EXPECT_FALSE(key_from_int({KeyType::integer, 4}, 1LL << 40, b));
  ASSERT_TRUE(key_from_string({KeyType::string, 3}, "abcdef", b));
  EXPECT_EQ(b.view().bytes(), "abc");  // truncated to len
  ASSERT_TRUE(key_from_string({KeyType::binary, 5}, "ab", b));
  EXPECT_EQ(b.view().bytes(), std::string_view("ab\0\0\0", 5));
  EXPECT_FALSE(key_from_string({KeyType::ip, 4}, "x", b));
}

TEST(StickKey, HashDependsOnSeedAndSpreadsSmallKeys) {
  KeyBuf a, b;
  parse_key_text({KeyType::ip, 4}, "10.0.0.1", a).value();
  parse_key_text({KeyType::ip, 4}, "10.0.0.2", b).value();
  EXPECT_NE(hash_key(a.view(), 1), hash_key(b.view(), 1));
  EXPECT_NE(hash_key(a.view(), 1), hash_key(a.view(), 2));
  // Sequential addresses fill the top 6 bits (the shard) evenly.
  int counts[64] = {};
  for (std::uint32_t i = 0; i < 64 * 1000; ++i) {
    std::uint8_t ip[4] = {10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                          static_cast<std::uint8_t>(i)};
    ++counts[hash_key(KeyView{ip, 4}, 42) >> 58];
  }
  for (int c : counts) {
    EXPECT_GT(c, 850);
    EXPECT_LT(c, 1150);
  }
}

}  // namespace
}  // namespace tandem::balancer::stick
