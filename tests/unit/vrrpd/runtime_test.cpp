// The runtime on fakes: no sockets, no netlink, no processes. What a Daemon
// does with a configuration, packets, link changes and tracker verdicts.
#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include "vrrpd/arp/frames.h"
#include "vrrpd/config/parser.h"
#include "vrrpd/packet/codec.h"
#include "vrrpd/runtime/daemon.h"

namespace tandem::vrrpd::runtime {
namespace {

using namespace std::chrono_literals;

IpAddress ip(std::string_view s) { return *IpAddress::parse(s); }

netlink::LinkInfo eth(std::string name, int index, bool up, std::string addr) {
  netlink::LinkInfo l;
  l.name = std::move(name);
  l.ifindex = index;
  l.admin_up = l.carrier = up;
  l.mac = {0x02, 0, 0, 0, 0, static_cast<std::uint8_t>(index)};
  l.addresses = {*IpPrefix::parse(addr)};
  return l;
}

struct Lab {
  asio::io_context io;
  ManualClock clock;
  netlink::FakeLinkMonitor links;
  netlink::FakeAddressTable addresses;
  netlink::FakeAcceptFilter accept_filter;
  arp::FakeAnnouncer announcer;
  track::FakeScriptRunner runner;
  track::FakeProber prober;
  std::map<std::string, track::FakeHealthWatch*> watches;
  std::map<std::string, socket::FakeAdvertSocket*> sockets;
  std::unique_ptr<Daemon> daemon;
  std::vector<Event> events;

  Lab() {
    links.set(eth("eth0", 2, true, "198.18.0.2/24"));
    links.set(eth("eth1", 3, true, "198.18.1.2/24"));
  }

  void load(std::string_view text) {
    auto nodes = config::lex_blocks(text, "t.conf");
    ASSERT_TRUE(nodes) << nodes.error().message;
    auto cfg = config::parse(*nodes);
    ASSERT_TRUE(cfg) << cfg.error().message;
    auto p = prepare(std::move(*cfg));
    ASSERT_TRUE(p) << p.error().message;
    if (daemon) {
      daemon->reload(std::move(*p));
      return;
    }
    DaemonDeps deps{io,
                    clock,
                    links,
                    addresses,
                    accept_filter,
                    announcer,
                    runner,
                    prober,
                    [this](const std::string& sock, config::Micros) -> std::unique_ptr<track::HealthWatch> {
                      auto w = std::make_unique<track::FakeHealthWatch>();
                      watches[sock] = w.get();
                      return w;
                    },
                    [this](const std::string& ifname, int, bool) -> Result<std::unique_ptr<socket::AdvertSocket>> {
                      auto s = std::make_unique<socket::FakeAdvertSocket>();
                      sockets[ifname] = s.get();
                      return std::unique_ptr<socket::AdvertSocket>(std::move(s));
                    }};
    daemon = std::make_unique<Daemon>(deps, std::move(*p));
    daemon->subscribe([this](const Event& e) { events.push_back(e); });
  }

  InstanceStatus status(const std::string& name) {
    for (auto& i : daemon->status().instances)
      if (i.name == name) return i;
    ADD_FAILURE() << "no instance " << name;
    return {};
  }
  std::vector<packet::Advert> sent(const std::string& ifname) {
    std::vector<packet::Advert> out;
    for (const auto& s : sockets.at(ifname)->sent) out.push_back(*packet::decode(s.vrrp, false));
    return out;
  }
  // A peer's advert, as the socket would hand it over.
  void advert(const std::string& ifname, IpAddress src, std::uint8_t prio, std::vector<IpAddress> vips, int ttl = 255,
              std::uint8_t vrid = 51) {
    packet::Advert a{.version = 3, .vrid = vrid, .priority = prio, .interval = 100, .addresses = std::move(vips)};
    auto bytes = packet::encode(a, src, packet::multicast_group_v4());
    sockets.at(ifname)->deliver({src, packet::multicast_group_v4(), ttl, bytes});
  }
};

const char* kOwner = R"(
global_defs {
  vrrp_version 3
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 255
  advert_int 0.1
  garp_master_repeat 2
  virtual_ipaddress {
    198.18.0.100/24
  }
  virtual_ipaddress_excluded {
    198.18.1.100/24 dev eth1
  }
  track_balancer {
    socket /b.sock
  }
  notify "/usr/bin/n arg"
  notify_master /usr/bin/m
}
)";

TEST(Daemon, OwnerWaitsForTheBalancerThenServesAndLeavesWithPriorityZero) {
  Lab lab;
  lab.load(kOwner);
  lab.daemon->start();
  // Leftovers of a crash are removed first.
  EXPECT_EQ(lab.addresses.removes, 2);
  // No verdict from the balancer yet: the instance waits in INIT.
  EXPECT_EQ(lab.status("VI_1").state, fsm::State::init);
  lab.watches.at("/b.sock")->tell(track::WatchStatus::serving, "SERVING");
  auto s = lab.status("VI_1");
  EXPECT_EQ(s.state, fsm::State::master);
  EXPECT_TRUE(lab.addresses.has(ip("198.18.0.100")));
  EXPECT_TRUE(lab.addresses.has(ip("198.18.1.100")));
  EXPECT_EQ(lab.addresses.present[1].ifindex, 3);  // dev eth1
  // Advert: priority 255 from the interface's address, to 224.0.0.18.
  auto adverts = lab.sent("eth0");
  ASSERT_EQ(adverts.size(), 1u);
  EXPECT_EQ(adverts[0].priority, 255);
  EXPECT_EQ(adverts[0].interval, 10);
  EXPECT_EQ(adverts[0].addresses, std::vector<IpAddress>{ip("198.18.0.100")});  // not the excluded one
  EXPECT_EQ(lab.sockets.at("eth0")->sent[0].src, ip("198.18.0.2"));
  // garp_master_repeat 2, for both addresses.
  EXPECT_EQ(lab.announcer.sent.size(), 4u);
  EXPECT_EQ(lab.announcer.sent[0].mac, (netlink::MacAddress{2, 0, 0, 0, 0, 2}));
  EXPECT_EQ(lab.announcer.sent[3].ifindex, 3);
  // Notify scripts run one at a time.
  EXPECT_EQ(lab.runner.pending.size(), 1u);
  // The balancer dies: FAULT at once, priority 0, VIPs gone.
  lab.sockets.at("eth0")->sent.clear();
  lab.watches.at("/b.sock")->tell(track::WatchStatus::broken, "socket closed");
  s = lab.status("VI_1");
  EXPECT_EQ(s.state, fsm::State::fault);
  EXPECT_EQ(s.fault_reason, "balancer /b.sock: watch broken: socket closed");
  ASSERT_EQ(lab.sent("eth0").size(), 1u);
  EXPECT_EQ(lab.sent("eth0")[0].priority, 0);
  EXPECT_TRUE(lab.addresses.present.empty());
  EXPECT_EQ(s.counters.priority_zero_sent, 1u);
  ASSERT_GE(s.recent.size(), 2u);
  EXPECT_EQ(s.recent.back().reason, "balancer /b.sock: watch broken: socket closed");
}

TEST(Daemon, NotifyScriptsRunInOrderWithKeepalivedArguments) {
  Lab lab;
  lab.load(kOwner);
  lab.daemon->start();
  lab.watches.at("/b.sock")->tell(track::WatchStatus::serving);
  std::vector<std::vector<std::string>> ran;
  while (!lab.runner.pending.empty()) {
    ran.push_back(lab.runner.pending.front().req.argv);
    lab.runner.complete({.ok = true, .exit_code = 0});
  }
  ASSERT_EQ(ran.size(), 2u);
  EXPECT_EQ(ran[0], (std::vector<std::string>{"/usr/bin/m"}));
  EXPECT_EQ(ran[1], (std::vector<std::string>{"/usr/bin/n", "arg", "INSTANCE", "VI_1", "MASTER", "255"}));
}

const char* kBackup = R"(
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 0.1
  version 3
  virtual_ipaddress {
    198.18.0.100/24
  }
}
)";

TEST(Daemon, ReceiveChecksCountDropsAndChangeNothing) {
  Lab lab;
  lab.load(kBackup);
  lab.daemon->start();
  ASSERT_EQ(lab.status("VI_1").state, fsm::State::backup);
  const IpAddress peer = ip("198.18.0.1");
  lab.advert("eth0", peer, 0, {ip("198.18.0.100")}, 254);      // TTL 254
  lab.advert("eth0", peer, 0, {ip("198.18.0.99")});            // another VIP
  lab.advert("eth0", peer, 0, {ip("198.18.0.100")}, 255, 52);  // another VRID
  auto bad =
      packet::encode({.version = 3, .vrid = 51, .priority = 0, .interval = 100, .addresses = {ip("198.18.0.100")}},
                     peer, packet::multicast_group_v4());
  bad[7] ^= 1;  // checksum
  lab.sockets.at("eth0")->deliver({peer, packet::multicast_group_v4(), 255, bad});
  std::vector<std::uint8_t> zero = {0x31, 51, 0, 0, 0, 10, 0, 0};  // count 0
  lab.sockets.at("eth0")->deliver({peer, packet::multicast_group_v4(), 255, zero});
  auto s = lab.status("VI_1");
  EXPECT_EQ(s.state, fsm::State::backup);
  EXPECT_EQ(s.counters.adverts_received, 0u);
  EXPECT_EQ(s.counters.drops[int(packet::DropReason::ttl)], 1u);
  EXPECT_EQ(s.counters.drops[int(packet::DropReason::address_list)], 1u);
  EXPECT_EQ(s.counters.drops[int(packet::DropReason::vrid)], 1u);
  EXPECT_EQ(s.counters.drops[int(packet::DropReason::checksum)], 1u);
  EXPECT_EQ(s.counters.drops[int(packet::DropReason::address_count)], 1u);
  // None of them armed the Skew_Time timer a real priority 0 would.
  EXPECT_EQ(s.master_address, "");
  lab.advert("eth0", peer, 150, {ip("198.18.0.100")});
  s = lab.status("VI_1");
  EXPECT_EQ(s.counters.adverts_received, 1u);
  EXPECT_EQ(s.master_address, "198.18.0.1");
  EXPECT_EQ(s.master_priority, 150);
}

TEST(Daemon, LinkDownIsFaultAndUpIsBackup) {
  Lab lab;
  lab.load(kBackup);
  lab.daemon->start();
  lab.links.set(eth("eth0", 2, false, "198.18.0.2/24"));
  auto s = lab.status("VI_1");
  EXPECT_EQ(s.state, fsm::State::fault);
  EXPECT_EQ(s.fault_reason, "interface eth0: down");
  lab.links.set(eth("eth0", 2, true, "198.18.0.2/24"));
  EXPECT_EQ(lab.status("VI_1").state, fsm::State::backup);
}

TEST(Daemon, ScriptsGateTheStartAndWeighThePriority) {
  Lab lab;
  lab.load(R"(
vrrp_script chk {
  script "/usr/bin/killall -0 haproxy"
  interval 2
  weight 2
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 101
  virtual_ipaddress {
    198.18.0.100/24
  }
  track_script {
    chk
  }
}
)");
  lab.daemon->start();
  EXPECT_EQ(lab.status("VI_1").state, fsm::State::init);
  ASSERT_EQ(lab.runner.pending.size(), 1u);
  EXPECT_EQ(lab.runner.pending[0].req.argv, (std::vector<std::string>{"/usr/bin/killall", "-0", "haproxy"}));
  lab.runner.complete({.ok = true, .exit_code = 0});
  auto s = lab.status("VI_1");
  EXPECT_EQ(s.state, fsm::State::backup);  // state MASTER: one interval first
  EXPECT_EQ(s.effective_priority, 103);
  ASSERT_EQ(s.shares.size(), 2u);  // eth0 (tracked by default) and the script
  EXPECT_EQ(s.shares[1].delta, 2);
}

TEST(Daemon, SyncGroupFaultsTogether) {
  Lab lab;
  lab.load(R"(
vrrp_instance A {
  interface eth0
  virtual_router_id 1
  virtual_ipaddress {
    198.18.0.100
  }
}
vrrp_instance B {
  interface eth1
  virtual_router_id 2
  virtual_ipaddress {
    198.18.1.100
  }
}
vrrp_sync_group G {
  group {
    A
    B
  }
}
)");
  lab.daemon->start();
  lab.links.set(eth("eth1", 3, false, "198.18.1.2/24"));
  EXPECT_EQ(lab.status("B").state, fsm::State::fault);
  auto a = lab.status("A");
  EXPECT_EQ(a.state, fsm::State::fault);
  EXPECT_EQ(a.fault_reason, "sync group G: B is in FAULT (interface eth1: down)");
}

std::string with(std::string text, std::string_view from, std::string_view to) {
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(Daemon, ReloadKeepsUnchangedInstancesRunning) {
  Lab lab;
  lab.load(kOwner);
  lab.daemon->start();
  lab.watches.at("/b.sock")->tell(track::WatchStatus::serving);
  ASSERT_EQ(lab.status("VI_1").state, fsm::State::master);
  const auto transitions = lab.status("VI_1").recent.size();
  lab.sockets.at("eth0")->sent.clear();
  lab.load(kOwner);  // same text
  EXPECT_EQ(lab.status("VI_1").state, fsm::State::master);
  EXPECT_EQ(lab.status("VI_1").recent.size(), transitions);
  EXPECT_TRUE(lab.sockets.at("eth0")->sent.empty());
}

// keepalived restarts every instance on reload: a pair flaps for a changed
// advert_int or notify script. Here the same virtual router keeps its state.
TEST(Daemon, ReloadUpdatesAnInstanceInPlaceWhenItsIdentityIsUnchanged) {
  Lab lab;
  lab.load(kOwner);
  lab.daemon->start();
  lab.watches.at("/b.sock")->tell(track::WatchStatus::serving);
  ASSERT_EQ(lab.status("VI_1").state, fsm::State::master);
  const auto transitions = lab.status("VI_1").recent.size();
  lab.sockets.at("eth0")->sent.clear();
  std::string changed = with(with(kOwner, "garp_master_repeat 2", "garp_master_repeat 3"), "advert_int 0.1",
                             "advert_int 0.2");
  changed = with(changed, "notify_master /usr/bin/m", "notify_master /usr/bin/m2");
  lab.load(changed);
  auto s = lab.status("VI_1");
  EXPECT_EQ(s.state, fsm::State::master);
  EXPECT_EQ(s.recent.size(), transitions);
  EXPECT_TRUE(lab.addresses.has(ip("198.18.0.100")));
  // No goodbye: one advert at once, carrying the new interval (centiseconds).
  auto sent = lab.sent("eth0");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].priority, 255);
  EXPECT_EQ(sent[0].interval, 20);
  // The same balancer tracker: no new watch was opened.
  EXPECT_EQ(lab.watches.size(), 1u);
}

TEST(Daemon, ReloadHoldsTheLastVerdictUntilANewTrackerHasOne) {
  Lab lab;
  lab.load(kOwner);
  lab.daemon->start();
  lab.watches.at("/b.sock")->tell(track::WatchStatus::serving);
  ASSERT_EQ(lab.status("VI_1").state, fsm::State::master);
  lab.load(with(kOwner, "socket /b.sock", "socket /other.sock"));
  ASSERT_TRUE(lab.watches.contains("/other.sock"));
  // No verdict yet from the new socket: still master.
  EXPECT_EQ(lab.status("VI_1").state, fsm::State::master);
  // Its first verdict counts.
  lab.watches.at("/other.sock")->tell(track::WatchStatus::not_serving, "NOT_SERVING");
  EXPECT_EQ(lab.status("VI_1").state, fsm::State::fault);
}

TEST(Daemon, ReloadRestartsAnInstanceWhoseIdentityChanged) {
  Lab lab;
  lab.load(kOwner);
  lab.daemon->start();
  lab.watches.at("/b.sock")->tell(track::WatchStatus::serving);
  ASSERT_EQ(lab.status("VI_1").state, fsm::State::master);
  lab.sockets.at("eth0")->sent.clear();
  // A new VIP: another virtual router as far as the LAN is concerned.
  lab.load(with(kOwner, "198.18.0.100/24", "198.18.0.101/24"));
  auto sent = lab.sent("eth0");
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent.front().priority, 0);  // the old one said goodbye
  EXPECT_FALSE(lab.addresses.has(ip("198.18.0.100")));
}

TEST(Daemon, StartupDelayHoldsInstancesInInit) {
  Lab lab;
  std::string text = std::string("global_defs {\n  vrrp_startup_delay 0.001\n}\n") + kBackup;
  lab.load(text);
  lab.daemon->start();
  EXPECT_EQ(lab.status("VI_1").state, fsm::State::init);
  while (lab.status("VI_1").state == fsm::State::init) lab.io.run_one();  // the 1 ms delay
  EXPECT_EQ(lab.status("VI_1").state, fsm::State::backup);
}

TEST(Daemon, FailoverOfAnUnknownInstanceIsAnError) {
  Lab lab;
  lab.load(kBackup);
  lab.daemon->start();
  EXPECT_FALSE(lab.daemon->failover("nope"));
  auto r = lab.daemon->failover("");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());  // nothing is master
}

TEST(Daemon, FailoverKeepsTheVipsUntilTheNewMasterAdvertises) {
  Lab lab;
  lab.load(kOwner);
  lab.daemon->start();
  lab.watches.at("/b.sock")->tell(track::WatchStatus::serving, "SERVING");
  ASSERT_EQ(lab.status("VI_1").state, fsm::State::master);
  lab.sockets.at("eth0")->sent.clear();
  auto r = lab.daemon->failover("");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, std::vector<std::string>{"VI_1"});
  // Priority 0 on the wire, the VIPs still here.
  ASSERT_EQ(lab.sent("eth0").size(), 1u);
  EXPECT_EQ(lab.sent("eth0")[0].priority, 0);
  auto s = lab.status("VI_1");
  EXPECT_EQ(s.state, fsm::State::master);
  EXPECT_TRUE(s.vips_held);
  EXPECT_TRUE(lab.addresses.has(ip("198.18.0.100")));
  // The peer has taken over: its advert makes us let go.
  lab.advert("eth0", ip("198.18.0.1"), 100, {ip("198.18.0.100")});
  s = lab.status("VI_1");
  EXPECT_EQ(s.state, fsm::State::backup);
  EXPECT_FALSE(s.vips_held);
  EXPECT_TRUE(lab.addresses.present.empty());
  EXPECT_EQ(s.master_address, "198.18.0.1");
  EXPECT_EQ(s.recent.back().reason, "failover: handed over to 198.18.0.1 (priority 100)");
}

TEST(Daemon, NoAcceptDropsTrafficToTheVipsOfNonOwners) {
  Lab lab;
  std::string text = kBackup;
  text.replace(text.find("  virtual_ipaddress"), 0, "  no_accept\n");
  lab.load(text);
  lab.daemon->start();
  EXPECT_EQ(lab.accept_filter.dropped, std::vector<IpAddress>{ip("198.18.0.100")});
  lab.daemon->stop();
  EXPECT_TRUE(lab.accept_filter.dropped.empty());
  // The owner always accepts (RFC 5798 §6.4.3), whatever no_accept says.
  Lab owner;
  std::string o = kOwner;
  o.replace(o.find("  garp_master_repeat"), 0, "  no_accept\n");
  owner.load(o);
  owner.daemon->start();
  EXPECT_TRUE(owner.accept_filter.dropped.empty());
}

TEST(AcceptFilter, Script) {
  auto s = netlink::accept_filter_script({ip("198.18.0.100"), ip("2001:db8::1")});
  EXPECT_NE(s.find("ip daddr { 198.18.0.100 } drop"), std::string::npos) << s;
  EXPECT_NE(s.find("nd-neighbor-solicit"), std::string::npos) << s;
  EXPECT_EQ(netlink::accept_filter_script({}), "add table inet tandem_vrrpd\ndelete table inet tandem_vrrpd\n");
}

TEST(Frames, GratuitousArpAndUnsolicitedNa) {
  auto f = arp::gratuitous_arp({2, 0, 0, 0, 0, 1}, ip("198.18.0.100"));
  ASSERT_EQ(f.size(), 60u);
  EXPECT_EQ(f[12], 0x08);
  EXPECT_EQ(f[13], 0x06);
  EXPECT_EQ(f[21], 1);  // request
  EXPECT_EQ(std::vector<std::uint8_t>(f.begin() + 28, f.begin() + 32), (std::vector<std::uint8_t>{198, 18, 0, 100}));
  EXPECT_EQ(std::vector<std::uint8_t>(f.begin() + 38, f.begin() + 42), (std::vector<std::uint8_t>{198, 18, 0, 100}));
  auto na = arp::unsolicited_na({2, 0, 0, 0, 0, 1}, ip("2001:db8::100"), false);
  ASSERT_EQ(na.size(), 32u);
  EXPECT_EQ(na[0], 136);
  EXPECT_EQ(na[4], 0x20);  // Override, not Solicited
  EXPECT_EQ(na[24], 2);    // target link-layer address option
}

TEST(PrimaryAddress, SkipsVipsAndWantsLinkLocalForIpv6) {
  netlink::LinkInfo l;
  l.addresses = {*IpPrefix::parse("198.18.0.100/24"), *IpPrefix::parse("198.18.0.2/24"),
                 *IpPrefix::parse("2001:db8::2/64"), *IpPrefix::parse("fe80::2/64")};
  EXPECT_EQ(netlink::primary_address(l, false, {ip("198.18.0.100")}), ip("198.18.0.2"));
  EXPECT_EQ(netlink::primary_address(l, true, {}), ip("fe80::2"));
  EXPECT_TRUE(netlink::primary_address({}, false, {}).is_unspecified());
}

}  // namespace
}  // namespace tandem::vrrpd::runtime
