#include "vrrpd/config/block_lexer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace tandem::vrrpd::config {
namespace {

using W = std::vector<std::string>;

TEST(BlockLexer, TheSeedsKeepalivedConf) {
  const char* text = R"(vrrp_script check_haproxy {
script "/usr/bin/killall -0 haproxy"
interval 2
weight 2
}
vrrp_instance VI_1 {
state MASTER
interface eth0   # the LAN
virtual_router_id 51
authentication {
auth_type PASS
auth_pass mysecret
}
virtual_ipaddress {
192.168.1.100/24
}
track_script {
check_haproxy
}
}
)";
  auto r = lex_blocks(text, "k.conf");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  const Node& script = (*r)[0];
  EXPECT_EQ(script.words, (W{"vrrp_script", "check_haproxy"}));
  EXPECT_EQ(script.children[0].words, (W{"script", "/usr/bin/killall -0 haproxy"}));
  const Node& inst = (*r)[1];
  EXPECT_EQ(inst.line, 6);
  EXPECT_EQ(inst.children[1].words, (W{"interface", "eth0"}));
  EXPECT_TRUE(inst.children[3].has_block);
  EXPECT_EQ(inst.children[3].children[1].words, (W{"auth_pass", "mysecret"}));
  EXPECT_EQ(inst.children[4].children[0].words, (W{"192.168.1.100/24"}));
  EXPECT_EQ(inst.children[4].children[0].line, 15);
}

TEST(BlockLexer, BracesAttachedAndOnTheirOwnLine) {
  auto r = lex_blocks("vrrp_instance A\n{\nvirtual_ipaddress {10.0.0.1/24}\n}\n! bang comment\n", "k");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  ASSERT_TRUE((*r)[0].has_block);
  EXPECT_EQ((*r)[0].children[0].children[0].words, (W{"10.0.0.1/24"}));
}

TEST(BlockLexer, Errors) {
  EXPECT_EQ(lex_blocks("a {\nb\n", "k").error().message, "k:2: missing '}' at end of file");
  EXPECT_EQ(lex_blocks("a\n}\n", "k").error().message, "k:2: '}' without a matching '{'");
  EXPECT_EQ(lex_blocks("script \"x\n\"", "k").error().message, "k:1: unterminated double quote");
  EXPECT_EQ(lex_blocks("{\n}", "k").error().message, "k:1: '{' does not follow a statement");
}

TEST(BlockLexer, Include) {
  auto dir = std::filesystem::temp_directory_path() / ("tandem-inc-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "part.conf") << "vrrp_instance B {\n}\n";
  auto r = lex_blocks("include " + (dir / "*.conf").string() + "\nvrrp_instance C {\n}\n", "main.conf");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].file, (dir / "part.conf").string());
  EXPECT_EQ((*r)[1].words[1], "C");
  EXPECT_FALSE(lex_blocks("include /nonexistent/*.conf\n", "m"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tandem::vrrpd::config
