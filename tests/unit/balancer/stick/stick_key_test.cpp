#include "balancer/stick/stick_key.h"

#include <gtest/gtest.h>

#include <limits>

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

// Text samples (req.hdr(x-forwarded-for), url_param(id)) and integers cast
// to the table's key type as HAProxy's sample_casts do; what does not convert
// keys nothing.
std::string text_key(KeyFormat f, std::string_view text) {
  KeyBuf b;
  if (!key_from_string(f, text, b)) return "none";
  return format_key_text(f, b.view());
}

TEST(StickKey, TextSamplesAreCastToTheTableType) {
  const KeyFormat ip{KeyType::ip, 4}, ipv6{KeyType::ipv6, 16}, integer{KeyType::integer, 4};
  EXPECT_EQ(text_key(ip, "192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(text_key(ip, "192.0.2.7:8080"), "192.0.2.7");  // buf2ip stops at the first other character
  EXPECT_EQ(text_key(ip, "192.0.2.7, 10.0.0.1"), "192.0.2.7");
  EXPECT_EQ(text_key(ip, "192.0.2"), "none");
  EXPECT_EQ(text_key(ip, "192.0.2.256"), "none");
  EXPECT_EQ(text_key(ip, "1.2.3.4.5"), "none");
  EXPECT_EQ(text_key(ip, "1.2.3.4."), "none");
  EXPECT_EQ(text_key(ip, ".1.2.3"), "none");
  EXPECT_EQ(text_key(ip, "unknown"), "none");
  EXPECT_EQ(text_key(ip, ""), "none");
  EXPECT_EQ(text_key(ip, "2001:db8::1"), "none");
  EXPECT_EQ(text_key(ipv6, "2001:db8::1"), "2001:db8::1");
  EXPECT_EQ(text_key(ipv6, "::ffff:192.0.2.7"), "::ffff:192.0.2.7");
  EXPECT_EQ(text_key(ipv6, "192.0.2.7"), "none");  // c_str2ipv6 is inet_pton(AF_INET6)
  EXPECT_EQ(text_key(ipv6, "2001:db8::1 "), "none");
  EXPECT_EQ(text_key(integer, "42"), "42");
  EXPECT_EQ(text_key(integer, "-7"), "-7");
  EXPECT_EQ(text_key(integer, "+12abc"), "12");  // read_int64: the leading digits
  EXPECT_EQ(text_key(integer, "abc"), "0");
  EXPECT_EQ(text_key(integer, ""), "none");
  EXPECT_EQ(text_key(integer, "99999999999"), "none");  // out of int32 (HAProxy truncates; refused here)
  EXPECT_EQ(leading_int("-99999999999999999999999"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(leading_int("99999999999999999999999"), std::numeric_limits<std::int64_t>::max());
}

TEST(StickKey, IntegerAndAddressSamplesAreCastToOtherTableTypes) {
  KeyBuf b;
  const std::uint8_t v4[4] = {192, 0, 2, 1};
  ASSERT_TRUE(key_from_ipv4({KeyType::string, 32}, v4, b));
  EXPECT_EQ(b.view().bytes(), "192.0.2.1");
  ASSERT_TRUE(key_from_ipv4({KeyType::integer, 4}, v4, b));  // c_ip2int: 0xc0000201
  EXPECT_EQ(format_key_text({KeyType::integer, 4}, b.view()), std::to_string(static_cast<std::int32_t>(0xc0000201u)));
  const std::uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  ASSERT_TRUE(key_from_ipv6({KeyType::string, 32}, v6, b));
  EXPECT_EQ(b.view().bytes(), "2001:db8::1");
  EXPECT_FALSE(key_from_ipv6({KeyType::integer, 4}, v6, b));
  ASSERT_TRUE(key_from_int({KeyType::string, 32}, -15, b));
  EXPECT_EQ(b.view().bytes(), "-15");
  ASSERT_TRUE(key_from_int({KeyType::ip, 4}, 0x0a000001, b));  // c_int2ip
  EXPECT_EQ(format_key_text({KeyType::ip, 4}, b.view()), "10.0.0.1");
  ASSERT_TRUE(key_from_int({KeyType::ipv6, 16}, 0x0a000001, b));
  EXPECT_EQ(format_key_text({KeyType::ipv6, 16}, b.view()), "::ffff:10.0.0.1");
  ASSERT_TRUE(key_from_int({KeyType::binary, 8}, 0x0102, b));
  EXPECT_EQ(b.view().bytes(), std::string_view("\0\0\0\0\0\0\x01\x02", 8));
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
