#include "vrrpd/config/parser.h"

#include <gtest/gtest.h>

#include "vrrpd/config/values.h"

namespace tandem::vrrpd::config {
namespace {

using namespace std::chrono_literals;

Result<Config> parse_text(std::string_view text) {
  auto nodes = lex_blocks(text, "v.conf");
  if (!nodes) return std::unexpected(nodes.error());
  return parse(*nodes);
}

// /work/shared/seeds: the keepalived.conf of the HAProxy + keepalived guide,
// verbatim. It must load unchanged.
constexpr const char* kSeed = R"(vrrp_script check_haproxy {
script "/usr/bin/killall -0 haproxy"
interval 2
weight 2
}
vrrp_instance VI_1 {
state MASTER
interface eth0
virtual_router_id 51
priority 101
advert_int 1
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

TEST(VrrpdConfig, TheSeedLoadsUnchanged) {
  auto c = parse_text(kSeed);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->scripts.size(), 1u);
  const Script& s = c->scripts[0];
  EXPECT_EQ(s.command.argv, (std::vector<std::string>{"/usr/bin/killall", "-0", "haproxy"}));
  EXPECT_EQ(s.interval, 2s);
  EXPECT_EQ(s.weight, 2);
  ASSERT_EQ(c->instances.size(), 1u);
  const Instance& i = c->instances[0];
  EXPECT_TRUE(i.initial_master);
  EXPECT_EQ(i.interface, "eth0");
  EXPECT_EQ(i.vrid, 51);
  EXPECT_EQ(i.priority, 101);
  EXPECT_EQ(i.version, 2);  // keepalived's default
  EXPECT_EQ(i.advert_int, 1s);
  EXPECT_EQ(i.auth_type, packet::V2Auth::simple);
  EXPECT_EQ(i.auth_pass, "mysecret");
  ASSERT_EQ(i.vips.size(), 1u);
  EXPECT_EQ(i.vips[0].prefix.text(), "192.168.1.100/24");
  ASSERT_EQ(i.track_scripts.size(), 1u);
  EXPECT_EQ(i.track_scripts[0].name, "check_haproxy");
  EXPECT_FALSE(i.track_scripts[0].weight);
}

TEST(VrrpdConfig, TheWholeSurface) {
  auto c = parse_text(R"(
global_defs {
  router_id lb1
  vrrp_version 3
  vrrp_garp_master_delay 2
  vrrp_garp_master_repeat 3
  vrrp_garp_master_refresh 60
  vrrp_garp_master_refresh_repeat 2
  vrrp_garp_lower_prio_delay 1
  vrrp_garp_lower_prio_repeat 4
  vrrp_startup_delay 1.5
  enable_script_security
  script_user nobody nogroup
}
vrrp_script chk {
  script /bin/true
  interval 0.5
  timeout 0.25
  weight -20 reverse
  rise 3
  fall 2
  user root
  init_fail
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 7
  priority 150
  advert_int 0.1
  nopreempt
  unicast_src_ip 198.18.0.1
  unicast_peer {
    198.18.0.2
  }
  virtual_ipaddress {
    198.18.0.100/24 dev eth1 label eth1:vip
    198.18.0.101
  }
  virtual_ipaddress_excluded {
    2001:db8::100/64
  }
  track_script {
    chk weight 10
  }
  track_interface {
    eth1 weight -30
    eth2
  }
  track_balancer {
    socket /tmp/b.sock
    weight 50
    probe 127.0.0.1:8080
    probe_send "HEAD / HTTP/1.0\r\n\r\n"
    probe_interval 0.05
    probe_fall 3
    probe_rise 1
    watch_timeout 0.5
  }
  dont_track_primary
  notify_master "/usr/local/bin/n master" root
  notify_backup /usr/local/bin/n
  notify_fault /usr/local/bin/n
  notify_stop /usr/local/bin/n
  notify /usr/local/bin/all
  garp_master_delay 1
  garp_master_repeat 2
  garp_master_refresh 10
  garp_master_refresh_repeat 3
  garp_lower_prio_delay 0
  garp_lower_prio_repeat 1
  no_accept
}
vrrp_instance VI_6 {
  interface eth0
  virtual_router_id 8
  version 3
  preempt_delay 30
  mcast_src_ip fe80::1
  v3_checksum_as_v2
  virtual_ipaddress {
    2001:db8::1/64
  }
}
vrrp_sync_group G {
  group {
    VI_1 VI_6
  }
  notify_master /usr/local/bin/g
}
)");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->global.router_id, "lb1");
  EXPECT_EQ(c->global.startup_delay, 1500ms);
  EXPECT_TRUE(c->global.enable_script_security);
  EXPECT_EQ(c->global.script_user, "nobody");
  EXPECT_EQ(c->global.script_group, "nogroup");
  const Script& s = c->scripts[0];
  EXPECT_EQ(s.interval, 500ms);
  EXPECT_EQ(s.timeout, 250ms);
  EXPECT_EQ(s.weight, -20);
  EXPECT_TRUE(s.reverse);
  EXPECT_EQ(s.rise, 3);
  EXPECT_EQ(s.fall, 2);
  EXPECT_TRUE(s.init_fail);
  EXPECT_EQ(s.command.user, "root");
  const Instance& i = c->instances[0];
  EXPECT_EQ(i.version, 3);
  EXPECT_EQ(i.advert_int, 100ms);
  EXPECT_FALSE(i.preempt);
  EXPECT_EQ(i.source->text(), "198.18.0.1");
  EXPECT_EQ(i.unicast_peers.size(), 1u);
  EXPECT_EQ(i.vips[0].dev, "eth1");
  EXPECT_EQ(i.vips[0].label, "eth1:vip");
  EXPECT_EQ(i.vips[1].prefix.prefix_len, 32);
  EXPECT_EQ(i.vips_excluded[0].prefix.text(), "2001:db8::100/64");
  EXPECT_EQ(*i.track_scripts[0].weight, 10);
  EXPECT_EQ(*i.track_interfaces[0].weight, -30);
  EXPECT_FALSE(i.track_interfaces[1].weight);
  ASSERT_TRUE(i.track_balancer);
  EXPECT_EQ(i.track_balancer->socket, "/tmp/b.sock");
  EXPECT_EQ(i.track_balancer->weight, 50);
  EXPECT_EQ(i.track_balancer->probe->text(), "127.0.0.1:8080");
  EXPECT_EQ(i.track_balancer->probe_send, "HEAD / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(i.track_balancer->probe_interval, 50ms);
  EXPECT_EQ(i.track_balancer->probe_timeout, 50ms);
  EXPECT_EQ(i.track_balancer->probe_fall, 3);
  EXPECT_EQ(i.track_balancer->watch_timeout, 500ms);
  EXPECT_FALSE(i.track_primary);
  EXPECT_EQ(i.notify.master->argv, (std::vector<std::string>{"/usr/local/bin/n", "master"}));
  EXPECT_EQ(i.notify.master->user, "root");
  EXPECT_TRUE(i.notify.any);
  EXPECT_EQ(i.garp.master_delay, 1s);
  EXPECT_EQ(i.garp.master_repeat, 2);
  EXPECT_EQ(i.garp.master_refresh, 10s);
  EXPECT_EQ(i.garp.master_refresh_repeat, 3);
  EXPECT_EQ(*i.garp.lower_prio_delay, 0s);
  EXPECT_EQ(*i.garp.lower_prio_repeat, 1);
  EXPECT_FALSE(i.accept);
  EXPECT_EQ(i.sync_group, "G");
  const Instance& j = c->instances[1];
  EXPECT_TRUE(j.ipv6());
  EXPECT_EQ(j.preempt_delay, 30s);
  EXPECT_EQ(j.checksum_mode, packet::ChecksumMode::as_v2);
  // global garp defaults reach instances that set none
  EXPECT_EQ(j.garp.master_delay, 2s);
  EXPECT_EQ(j.garp.master_repeat, 3);
  EXPECT_EQ(*j.garp.lower_prio_repeat, 4);
  EXPECT_EQ(c->sync_groups[0].members, (std::vector<std::string>{"VI_1", "VI_6"}));
}

TEST(VrrpdConfig, GlobalDefsMayComeAfterInstances) {
  auto c = parse_text(
      "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 198.18.0.1\n }\n}\n"
      "global_defs {\n vrrp_version 3\n}\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->instances[0].version, 3);
}

struct ErrorCase {
  const char* name;
  const char* instance_body;  // inside vrrp_instance VI_1 { interface eth0 ...
  const char* error;
};

// An instance with `interface eth0`, `virtual_router_id 5` and a VIP on lines
// 2-4; the case's text starts on line 5.
std::string instance(std::string_view body) {
  return std::string(
             "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n 198.18.0.100/24\n "
             "}\n") +
         std::string(body) + "}\n";
}

TEST(VrrpdConfig, InstanceErrorsNameFileLineAndKeyword) {
  const ErrorCase cases[] = {
      {"unknown keyword", " bogus 1\n", "v.conf:7: bogus: unknown keyword in vrrp_instance"},
      {"priority 0", " priority 0\n", "v.conf:7: priority: expects a number in 1..255, got '0'"},
      {"priority 256", " priority 256\n", "v.conf:7: priority: expects a number in 1..255, got '256'"},
      {"state", " state ACTIVE\n", "v.conf:7: state: expects MASTER or BACKUP, got 'ACTIVE'"},
      {"advert_int 0", " advert_int 0\n",
       "v.conf:7: advert_int: expects seconds in 0.01..255 (at most 2 decimals), got '0'"},
      {"advert_int 0.005", " advert_int 0.005\n",
       "v.conf:7: advert_int: expects seconds in 0.01..255 (at most 2 decimals), got '0.005'"},
      {"fractional v2", " advert_int 0.5\n",
       "v.conf:1: vrrp_instance VI_1: advert_int must be whole seconds in VRRP version 2 (use version 3 for less)"},
      {"v3 too long", " version 3\n advert_int 41\n",
       "v.conf:1: vrrp_instance VI_1: advert_int is at most 40.95 s in version 3"},
      {"v3 auth", " version 3\n authentication {\n auth_type PASS\n auth_pass x\n }\n",
       "v.conf:1: vrrp_instance VI_1: authentication is VRRP version 2 only (RFC 5798 removed it)"},
      {"AH", " authentication {\n auth_type AH\n auth_pass x\n }\n",
       "v.conf:8: auth_type: AH is not supported (RFC 3768 removed it)"},
      {"long password", " authentication {\n auth_type PASS\n auth_pass 123456789\n }\n",
       "v.conf:9: auth_pass: longer than 8 characters"},
      {"nopreempt + delay", " nopreempt\n preempt_delay 5\n",
       "v.conf:1: vrrp_instance VI_1: preempt_delay has no effect with nopreempt"},
      {"twice", " priority 5\n priority 6\n", "v.conf:8: priority: given twice"},
      {"vip option", " virtual_ipaddress_excluded {\n 198.18.0.5 scope link\n }\n",
       "v.conf:8: virtual_ipaddress: option 'scope' is not supported (dev and label are)"},
      {"bad vip", " virtual_ipaddress_excluded {\n 198.18.0.500\n }\n",
       "v.conf:8: virtual_ipaddress: '198.18.0.500' is not ADDRESS[/PREFIX]"},
      {"unknown script", " track_script {\n nope\n }\n", "v.conf:8: track_script: no vrrp_script named 'nope'"},
      {"track weight", " track_interface {\n eth1 weight 300\n }\n",
       "v.conf:8: eth1: expects a number in -253..253, got '300'"},
      {"balancer keyword", " track_balancer {\n sock /x\n }\n", "v.conf:8: sock: unknown keyword in track_balancer"},
      {"balancer weight", " track_balancer {\n weight -1\n }\n",
       "v.conf:8: weight: expects a number in 0..253, got '-1'"},
      {"balancer probe", " track_balancer {\n probe nowhere\n }\n", "v.conf:8: probe: 'nowhere' has no :PORT"},
      {"peer family", " version 3\n unicast_peer {\n 2001:db8::1\n }\n",
       "v.conf:1: vrrp_instance VI_1: unicast_peer 2001:db8::1 is not of the instance's address family"},
      {"a flag twice", " virtual_ipaddress_excluded {\n 198.18.0.7\n }\n nopreempt\n nopreempt\n",
       "v.conf:11: nopreempt: given twice"},
      {"flag with value", " nopreempt yes\n", "v.conf:7: nopreempt: takes no value"},
  };
  for (const auto& c : cases) {
    auto r = parse_text(instance(c.instance_body));
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().message, c.error) << c.name;
  }
}

TEST(VrrpdConfig, VirtualRouterIdOutOfRange) {
  auto c = parse_text("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 300\n}\n");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "v.conf:3: virtual_router_id: expects a number in 1..255, got '300'");
}

TEST(VrrpdConfig, TopLevelErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {"bogus {\n}\n", "v.conf:1: bogus: unknown keyword"},
      {"global_defs {\n notification_email {\n }\n}\n", "v.conf:2: notification_email: unknown keyword in global_defs"},
      {"global_defs {\n vrrp_version 4\n}\n", "v.conf:2: vrrp_version: expects a number in 2..3, got '4'"},
      {"vrrp_script s {\n interval 1\n}\n", "v.conf:1: vrrp_script s: script is required"},
      {"vrrp_script s {\n script /bin/true\n interval 0\n}\n",
       "v.conf:3: interval: expects seconds in 0.001..86400 (at most 3 decimals), got '0'"},
      {"vrrp_script s {\n script /bin/true\n weight 2 forward\n}\n",
       "v.conf:3: weight: unknown option 'forward' (expected reverse)"},
      {"vrrp_script s {\n script /bin/true\n}\nvrrp_script s {\n script /bin/false\n}\n",
       "v.conf:4: vrrp_script: 's' is defined twice"},
      {"vrrp_sync_group G {\n group {\n VI_9\n }\n}\n", "v.conf:1: vrrp_sync_group G: no vrrp_instance named 'VI_9'"},
      {"vrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\n",
       "v.conf:1: vrrp_instance A: virtual_ipaddress needs at least one address (RFC 5798 §5.2.5)"},
      {"vrrp_instance A {\n virtual_router_id 1\n}\n", "v.conf:1: vrrp_instance A: interface is required"},
      {"vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 198.18.0.1\n }\n}\n"
       "vrrp_instance B {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 198.18.0.2\n }\n}\n",
       "v.conf:8: vrrp_instance B: virtual_router_id 1 is already used on eth0 for this address family"},
      {"vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 198.18.0.1\n }\n}\n"
       "vrrp_instance B {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress {\n 198.18.0.1\n }\n}\n",
       "v.conf:12: 198.18.0.1 belongs to another instance too"},
      {"vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 198.18.0.1\n 2001:db8::1\n "
       "}\n}\n",
       "v.conf:6: virtual_ipaddress: IPv4 and IPv6 addresses cannot share an instance (put the other family in "
       "virtual_ipaddress_excluded)"},
      {"vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 2001:db8::1\n }\n}\n",
       "v.conf:1: vrrp_instance A: VRRP version 2 is IPv4 only: use version 3 for IPv6"},
  };
  for (const auto& [text, error] : cases) {
    auto r = parse_text(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().message, error) << text;
  }
}

TEST(VrrpdConfigValues, SplitCommand) {
  EXPECT_EQ(*split_command("/usr/bin/killall -0 haproxy"),
            (std::vector<std::string>{"/usr/bin/killall", "-0", "haproxy"}));
  EXPECT_EQ(*split_command("a 'b c' \"d e\" f\\ g"), (std::vector<std::string>{"a", "b c", "d e", "f g"}));
  EXPECT_FALSE(split_command("a 'b"));
  EXPECT_FALSE(split_command("   "));
}

TEST(VrrpdConfigValues, Unescape) {
  EXPECT_EQ(*unescape("GET / HTTP/1.0\\r\\n\\r\\n"), "GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(*unescape("\\x41\\\\"), "A\\");
  EXPECT_FALSE(unescape("\\x4"));
  EXPECT_FALSE(unescape("\\q"));
  EXPECT_FALSE(unescape("x\\"));
}

}  // namespace
}  // namespace tandem::vrrpd::config
