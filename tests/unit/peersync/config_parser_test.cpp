#include "peersync/config/parser.h"

#include <gtest/gtest.h>

namespace tandem::peersync::config {
namespace {

Result<Config> parse_text(std::string_view text) {
  auto lines = tandem::config::lex(text, "p.conf");
  if (!lines) return std::unexpected(lines.error());
  return parse(*lines, "p.conf");
}

TEST(PeersyncConfig, TheDocumentedExample) {
  auto c = parse_text(
      "node lb1\nlisten 198.18.0.1:7400\nadmin-socket /run/tandem/peersync.sock\n"
      "balancer-socket /run/tandem/balancer.sock\nvrrpd-socket /run/tandem/vrrpd.sock\n"
      "peer lb2 198.18.0.2:7400\ntls off\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->node, "lb1");
  EXPECT_EQ(c->listen.text(), "198.18.0.1:7400");
  ASSERT_EQ(c->peers.size(), 1u);
  EXPECT_EQ(c->peers[0].name, "lb2");
  EXPECT_EQ(c->peers[0].address.port, 7400);
  EXPECT_FALSE(c->tls.enabled);
}

TEST(PeersyncConfig, Errors) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"node a\nlisten 198.18.0.1:7400\n", "p.conf: tls: required: 'tls cert FILE key FILE ca FILE', or 'tls off' for plaintext"},
      {"listen 198.18.0.1:7400\ntls off\n", "p.conf: node: required (this node's name)"},
      {"node a\nnode b\n", "p.conf:2: node: given twice"},
      {"node a\nlisten lb1:7400\n", "p.conf:2: listen: 'lb1' is not a numeric IP address (no DNS at load time)"},
      {"node a\nlisten 198.18.0.1:70000\n", "p.conf:2: listen: '70000' is not a port in 1..65535"},
      {"node a\npeer b\n", "p.conf:2: peer: expects NAME IP:PORT"},
      {"node a\nfrob 1\n", "p.conf:2: frob: unknown keyword"},
      {"node a\ntls cert /nonexistent key /x ca /y\n", "p.conf:2: tls: cannot read '/nonexistent'"},
      {"node a\nlisten 198.18.0.1:1\ntls off\npeer a 198.18.0.2:1\n", "p.conf:4: peer: 'a' is this node's own name"},
  };
  for (const auto& c : cases) {
    auto r = parse_text(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().message, c.want);
  }
}

}  // namespace
}  // namespace tandem::peersync::config
