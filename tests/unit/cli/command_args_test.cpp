#include "cli/command_args.h"

#include <gtest/gtest.h>

namespace tandem::cli {
namespace {

Result<CommandArgs> parse(std::vector<std::string> args) {
  return parse_command_args(args, {"--key", "--limit"}, {"--wait-synced"});
}

TEST(CliCommandArgs, ValuesFlagsAndPositionals) {
  auto a = parse({"web", "--key", "192.0.2.1", "--limit=5", "--wait-synced"});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->positional, std::vector<std::string>{"web"});
  EXPECT_EQ(*a->value("--key"), "192.0.2.1");
  EXPECT_EQ(*a->value("--limit"), "5");
  EXPECT_TRUE(a->has("--wait-synced"));
  EXPECT_EQ(a->value("--other"), nullptr);
}

TEST(CliCommandArgs, AValueMayLookLikeANumberOrAnOption) {
  auto a = parse({"t", "--key", "-5"});
  ASSERT_TRUE(a);
  EXPECT_EQ(*a->value("--key"), "-5");
  auto b = parse({"--", "-odd-name"});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->positional, std::vector<std::string>{"-odd-name"});
}

TEST(CliCommandArgs, ErrorsNameTheOption) {
  EXPECT_EQ(parse({"t", "--frob"}).error().message, "unknown option '--frob'");
  EXPECT_EQ(parse({"t", "--key"}).error().message, "option --key needs a value");
  EXPECT_EQ(parse({"--wait-synced=yes"}).error().message, "option --wait-synced takes no value");
}

TEST(CliCommandArgs, Seconds) {
  EXPECT_EQ(*parse_seconds("10"), 10'000);
  EXPECT_EQ(*parse_seconds("0.25"), 250);
  EXPECT_FALSE(parse_seconds("0"));
  EXPECT_FALSE(parse_seconds("ten"));
  EXPECT_FALSE(parse_seconds("5s"));
  EXPECT_FALSE(parse_seconds("100000"));
}

}  // namespace
}  // namespace tandem::cli
