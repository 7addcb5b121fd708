#include "common/strings.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(Strings, Cat) {
  EXPECT_EQ(cat("a", 1, ' ', -2, std::string("x"), std::string_view("y"), true, 3u), "a1 -2xytrue3");
}

TEST(Strings, ParseNumbers) {
  unsigned long long u = 0;
  long long s = 0;
  EXPECT_TRUE(parse_uint("42", u));
  EXPECT_EQ(u, 42u);
  EXPECT_FALSE(parse_uint("+42", u));
  EXPECT_FALSE(parse_uint("-1", u));
  EXPECT_FALSE(parse_uint("4 2", u));
  EXPECT_FALSE(parse_uint("18446744073709551616", u));
  EXPECT_TRUE(parse_int("-7", s));
  EXPECT_EQ(s, -7);
  EXPECT_FALSE(parse_int("-", s));
  EXPECT_FALSE(parse_int("", s));
}

TEST(Strings, CaseInsensitive) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_FALSE(iequals("a", "ab"));
  EXPECT_EQ(to_lower("HoSt"), "host");
}

}  // namespace
}  // namespace tandem
