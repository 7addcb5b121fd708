#include "vrrpd/config/parser.h"

#include <gtest/gtest.h>

namespace tandem::vrrpd::config {
namespace {

Result<Config> parse_text(std::string_view text) {
  auto nodes = lex_blocks(text, "v.conf");
  if (!nodes) return std::unexpected(nodes.error());
  return parse(*nodes);
}

TEST(VrrpdConfig, AnInstance) {
  auto c = parse_text(
      "vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 51\n priority 101\n"
      " virtual_ipaddress {\n  198.18.0.100/24\n }\n}\n");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->instances.size(), 1u);
  EXPECT_EQ(c->instances[0].vrid, 51u);
  EXPECT_EQ(c->instances[0].priority, 101u);
  EXPECT_TRUE(c->instances[0].initial_master);
  EXPECT_EQ(c->instances[0].vips[0].address, "198.18.0.100/24");
}

TEST(VrrpdConfig, VirtualRouterIdOutOfRange) {
  auto c = parse_text("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 300\n}\n");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "v.conf:3: virtual_router_id: expects a number in 1..255, got '300'");
}

TEST(VrrpdConfig, UnknownKeyword) {
  auto c = parse_text("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 5\n bogus 1\n}\n");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "v.conf:4: bogus: unknown keyword in vrrp_instance");
}

}  // namespace
}  // namespace tandem::vrrpd::config
