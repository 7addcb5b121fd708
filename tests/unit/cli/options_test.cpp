#include "cli/options.h"

#include <gtest/gtest.h>

namespace tandem::cli {
namespace {

Result<Options> parse(std::vector<const char*> argv) {
  argv.insert(argv.begin(), "tandemctl");
  return parse_options(static_cast<int>(argv.size()), argv.data());
}

TEST(CliOptions, SocketsFollowTheRunDir) {
  auto o = parse({"--run-dir", "/tmp/n1", "health"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->balancer_socket, "/tmp/n1/balancer.sock");
  EXPECT_EQ(o->vrrpd_socket, "/tmp/n1/vrrpd.sock");
  EXPECT_EQ(o->peersync_socket, "/tmp/n1/peersync.sock");
  EXPECT_EQ(o->command, std::vector<std::string>{"health"});
}

TEST(CliOptions, OverridesAndJson) {
  auto o = parse({"--json", "--vrrpd-socket", "/x.sock", "table", "show", "t"});
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->json);
  EXPECT_EQ(o->vrrpd_socket, "/x.sock");
  EXPECT_EQ(o->balancer_socket, "/run/tandem/balancer.sock");
  EXPECT_EQ(o->command.size(), 3u);
}

TEST(CliOptions, JsonAfterTheCommand) {
  auto o = parse({"status", "--json"});
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->json);
  EXPECT_EQ(o->command, std::vector<std::string>{"status"});
}

TEST(CliOptions, Errors) {
  EXPECT_FALSE(parse({}));
  EXPECT_FALSE(parse({"--bogus", "health"}));
  EXPECT_FALSE(parse({"--run-dir"}));
}

}  // namespace
}  // namespace tandem::cli
