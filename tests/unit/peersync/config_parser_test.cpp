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
      {"node a\nlisten 198.18.0.1:7400\n",
       "p.conf: tls: required: 'tls cert FILE key FILE ca FILE', or 'tls off' for plaintext"},
      {"listen 198.18.0.1:7400\ntls off\n", "p.conf: node: required (this node's name)"},
      {"node a\nnode b\n", "p.conf:2: node: given twice"},
      {"node a\nlisten lb1:7400\n", "p.conf:2: listen: 'lb1' is not a numeric IP address (no DNS at load time)"},
      {"node a\nlisten 198.18.0.1:70000\n", "p.conf:2: listen: '70000' is not a port in 1..65535"},
      {"node a\npeer b\n", "p.conf:2: peer: expects NAME IP:PORT"},
      {"node a\nfrob 1\n", "p.conf:2: frob: unknown keyword"},
      {"node a\ntls cert /nonexistent key /x ca /y\n", "p.conf:2: tls: cannot read '/nonexistent'"},
      {"node a\nlisten 198.18.0.1:1\ntls off\npeer a 198.18.0.2:1\n", "p.conf:4: peer: 'a' is this node's own name"},
      {"node a\npeer b 198.18.0.2:1\npeer b 198.18.0.3:1\n", "p.conf:3: peer: peer 'b' given twice"},
      {"node a\ntls on\n", "p.conf:2: tls: expects 'cert FILE key FILE ca FILE', or 'off'"},
      {"node a\ntls off\ntls off\n", "p.conf:3: tls: given twice"},
      {"node a\ntls cert /etc/hostname key /etc/hostname crl /etc/hostname\n",
       "p.conf:2: tls: unknown option 'crl' (cert, key, ca)"},
      {"node a\ntls cert /etc/hostname cert /etc/hostname ca /etc/hostname\n", "p.conf:2: tls: 'cert' given twice"},
      {"node a\nbalancer-socket\n", "p.conf:2: balancer-socket: expects a socket path"},
      {"node a\nnode \"${NO_SUCH_VARIABLE}\"\n", ""},
  };
  for (const auto& c : cases) {
    auto r = parse_text(c.text);
    ASSERT_FALSE(r) << c.text;
    if (*c.want)
      EXPECT_EQ(r.error().message, c.want);
    else
      EXPECT_NE(r.error().message.find("p.conf:2:"), std::string::npos) << r.error().message;
  }
}

TEST(PeersyncConfig, TlsFilesAndSocketsAreKept) {
  // Any readable files do for the parser; the daemon reads them as PEM.
  auto c = parse_text(
      "node lb1\nlisten [::1]:7400\nbalancer-socket /tmp/b.sock\n"
      "tls ca /etc/hostname key /etc/passwd cert /etc/group\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->tls.enabled);
  EXPECT_EQ(c->tls.cert, "/etc/group");
  EXPECT_EQ(c->tls.key, "/etc/passwd");
  EXPECT_EQ(c->tls.ca, "/etc/hostname");
  EXPECT_EQ(c->balancer_socket, "/tmp/b.sock");
  EXPECT_EQ(c->vrrpd_socket, "/run/tandem/vrrpd.sock");
  EXPECT_TRUE(c->listen.ipv6);
  EXPECT_TRUE(c->peers.empty());
}

}  // namespace
}  // namespace tandem::peersync::config
