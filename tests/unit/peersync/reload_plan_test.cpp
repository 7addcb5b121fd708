#include "peersync/config/reload_plan.h"

#include <gtest/gtest.h>

#include "peersync/config/parser.h"

namespace tandem::peersync::config {
namespace {

Config parse_text(std::string_view text) {
  auto lines = tandem::config::lex(text, "p.conf");
  EXPECT_TRUE(lines);
  auto c = parse(*lines, "p.conf");
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return c ? *c : Config{};
}

const char* kRunning =
    "node lb1\nlisten 198.18.0.1:7400\npeer lb2 198.18.0.2:7400\npeer lb3 198.18.0.3:7400\ntls off\n";

TEST(PeersyncReloadPlan, TheSameFileChangesNothing) {
  Config a = parse_text(kRunning);
  ReloadPlan p = plan_reload(a, parse_text(kRunning), false);
  EXPECT_FALSE(p.changes_links());
  EXPECT_TRUE(p.kept.empty());
  EXPECT_EQ(p.effective.peers.size(), 2u);
}

TEST(PeersyncReloadPlan, PeersAddedRemovedAndReaddressed) {
  Config a = parse_text(kRunning);
  Config b = parse_text("node lb1\nlisten 198.18.0.1:7400\npeer lb2 198.18.0.2:7401\npeer lb4 198.18.0.4:7400\ntls off\n");
  ReloadPlan p = plan_reload(a, b, false);
  ASSERT_EQ(p.added.size(), 1u);
  EXPECT_EQ(p.added[0].name, "lb4");
  ASSERT_EQ(p.removed.size(), 1u);
  EXPECT_EQ(p.removed[0], "lb3");
  ASSERT_EQ(p.readdressed.size(), 1u);
  EXPECT_EQ(p.readdressed[0].name, "lb2");
  EXPECT_EQ(p.readdressed[0].address.port, 7401);
  EXPECT_FALSE(p.tls_changed);
  EXPECT_TRUE(p.changes_links());
  EXPECT_TRUE(p.kept.empty());
}

TEST(PeersyncReloadPlan, ReorderedPeersAreUnchanged) {
  Config a = parse_text(kRunning);
  Config b = parse_text("node lb1\nlisten 198.18.0.1:7400\npeer lb3 198.18.0.3:7400\npeer lb2 198.18.0.2:7400\ntls off\n");
  EXPECT_FALSE(plan_reload(a, b, false).changes_links());
}

TEST(PeersyncReloadPlan, TlsFilesOrTheirBytesChangeEveryLink) {
  Config a = parse_text("node lb1\nlisten 198.18.0.1:7400\ntls cert /etc/hostname key /etc/hostname ca /etc/hostname\n");
  Config same = a;
  EXPECT_FALSE(plan_reload(a, same, false).tls_changed);
  EXPECT_TRUE(plan_reload(a, same, true).tls_changed);  // renewed at the same path
  Config other = parse_text("node lb1\nlisten 198.18.0.1:7400\ntls cert /etc/hostname key /etc/hostname ca /etc/passwd\n");
  EXPECT_TRUE(plan_reload(a, other, false).tls_changed);
  Config off = parse_text("node lb1\nlisten 198.18.0.1:7400\ntls off\n");
  EXPECT_TRUE(plan_reload(a, off, false).tls_changed);
}

TEST(PeersyncReloadPlan, NodeListenAndSocketsAreReportedAndKept) {
  Config a = parse_text(kRunning);
  Config b = parse_text(
      "node lb9\nlisten 198.18.0.1:7500\nbalancer-socket /tmp/b.sock\nvrrpd-socket /tmp/v.sock\n"
      "admin-socket /tmp/a.sock\npeer lb2 198.18.0.2:7400\npeer lb3 198.18.0.3:7400\ntls off\n");
  ReloadPlan p = plan_reload(a, b, false);
  ASSERT_EQ(p.kept.size(), 5u);
  EXPECT_EQ(p.kept[0], "node: changed (lb1 -> lb9); takes effect when tandem-peersync restarts");
  EXPECT_EQ(p.kept[1], "listen: changed (198.18.0.1:7400 -> 198.18.0.1:7500); takes effect when tandem-peersync restarts");
  EXPECT_EQ(p.kept[2], "admin-socket: changed ((default) -> /tmp/a.sock); takes effect when tandem-peersync restarts");
  EXPECT_EQ(p.effective.node, "lb1");
  EXPECT_EQ(p.effective.listen.port, 7400);
  EXPECT_EQ(p.effective.balancer_socket, "/run/tandem/balancer.sock");
  EXPECT_EQ(p.effective.vrrpd_socket, "/run/tandem/vrrpd.sock");
  EXPECT_EQ(p.effective.admin_socket, "");
  EXPECT_FALSE(p.changes_links());
}

TEST(PeersyncReloadPlan, APeerNamedLikeTheRunningNodeIsNotAdded) {
  // The file renames the node to lb9 and makes lb1 a peer: lb1 still runs.
  Config a = parse_text(kRunning);
  Config b = parse_text("node lb9\nlisten 198.18.0.1:7400\npeer lb1 198.18.0.5:7400\npeer lb2 198.18.0.2:7400\n"
                        "peer lb3 198.18.0.3:7400\ntls off\n");
  ReloadPlan p = plan_reload(a, b, false);
  EXPECT_TRUE(p.added.empty());
  ASSERT_EQ(p.kept.size(), 2u);
  EXPECT_EQ(p.kept[1], "p.conf:3: peer: 'lb1' is this node's running name; not added");
}

}  // namespace
}  // namespace tandem::peersync::config
