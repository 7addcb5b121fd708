// What a reload keeps: operator-set server state and check health carried by
// name into the new runtime, the listener identity that decides which
// sockets stay open, and the session registry hard-stop-after walks. Pure
// parts only; the swap itself is tested against the real binary
// (tests/integration/test_reload.py).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "balancer/config/parser.h"
#include "balancer/health/checker.h"
#include "balancer/health/health_state.h"
#include "balancer/net/listen_socket.h"
#include "balancer/net/socket_transfer.h"
#include "balancer/proxy/session_registry.h"
#include "balancer/runtime/carry_state.h"
#include "balancer/runtime/runtime.h"
#include "common/clock.h"

namespace tandem::balancer {
namespace {

using namespace std::chrono_literals;

config::Config parse(std::string_view text) {
  auto lines = tandem::config::lex(text, "r.cfg");
  EXPECT_TRUE(lines);
  auto c = config::parse(*lines);
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return *c;
}

struct Built {
  explicit Built(std::string_view text) {
    auto r = runtime::Runtime::build(parse(text), 1, sticks);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    rt = std::move(*r);
  }
  runtime::Server& server(std::string_view be, std::string_view s) { return *rt->find_backend(be)->find_server(s); }
  stick::StickRegistry sticks{stick::StickRegistry::Options{.node = "n", .instance_id = "i", .log_capacity = 1024}};
  std::unique_ptr<runtime::Runtime> rt;
};

constexpr std::string_view kBefore =
    "defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n"
    "frontend web\n  bind 127.0.0.1:8080\n  default_backend farm\n"
    "backend farm\n  server a 192.0.2.1:80 weight 3\n  server b 192.0.2.2:80\n  server c 192.0.2.3:80 disabled\n"
    "  server d 192.0.2.4:80 weight 5\n";

TEST(CarryServerState, OperatorStateAndWeightSurviveByName) {
  Built before(kBefore);
  before.server("farm", "a").set_admin_state(runtime::AdminState::maint);
  before.server("farm", "b").set_admin_state(runtime::AdminState::drain);
  before.server("farm", "a").set_weight(7);
  // The new file moves servers around, adds one and drops d.
  Built after(
      "defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n"
      "frontend web\n  bind 127.0.0.1:8080\n  default_backend farm\n"
      "backend farm\n  server new 192.0.2.9:80\n  server b 192.0.2.2:80\n  server a 192.0.2.1:80 weight 3\n"
      "  server c 192.0.2.3:80 disabled\n");
  runtime::CarryReport r = runtime::carry_server_state(*before.rt, *after.rt);
  EXPECT_EQ(r.matched, 3u);
  EXPECT_EQ(r.admin, 2u);
  EXPECT_EQ(r.weight, 1u);
  EXPECT_EQ(after.server("farm", "a").state(), runtime::ServerState::maint);
  EXPECT_EQ(after.server("farm", "a").user_weight(), 7u);
  EXPECT_EQ(after.server("farm", "b").state(), runtime::ServerState::drain);
  EXPECT_EQ(after.server("farm", "c").state(), runtime::ServerState::maint);  // the file's own word
  EXPECT_EQ(after.server("farm", "new").state(), runtime::ServerState::up);
  // Only b and new take traffic now: the backend was rebalanced.
  EXPECT_EQ(after.rt->find_backend("farm")->usable_active(), 1u);
}

TEST(CarryServerState, TheNewFileWinsWhereItChangedTheSetting) {
  Built before(kBefore);
  before.server("farm", "c").set_admin_state(runtime::AdminState::ready);  // enabled at run time
  before.server("farm", "d").set_weight(1);
  Built after(
      "defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n"
      "frontend web\n  bind 127.0.0.1:8080\n  default_backend farm\n"
      "backend farm\n  server c 192.0.2.3:80\n  server d 192.0.2.4:80 weight 9\n");
  runtime::CarryReport r = runtime::carry_server_state(*before.rt, *after.rt);
  EXPECT_EQ(r.admin, 0u);
  EXPECT_EQ(r.weight, 0u);
  EXPECT_EQ(after.server("farm", "c").state(), runtime::ServerState::up);
  EXPECT_EQ(after.server("farm", "d").user_weight(), 9u);
}

TEST(CarryServerState, UnchangedStateIsNotCountedAsCarried) {
  Built before(kBefore);
  Built after(kBefore);
  runtime::CarryReport r = runtime::carry_server_state(*before.rt, *after.rt);
  EXPECT_EQ(r.matched, 4u);
  EXPECT_EQ(r.admin, 0u);
  EXPECT_EQ(r.weight, 0u);
  EXPECT_EQ(after.server("farm", "c").state(), runtime::ServerState::maint);
}

health::CheckResult fail_check() { return {health::CheckStatus::l4con, 0, "", 1ms}; }
health::CheckResult pass_check() { return {health::CheckStatus::l4ok, 0, "", 1ms}; }

health::HealthParams params(std::uint32_t rise, std::uint32_t fall) {
  health::HealthParams p;
  p.rise = rise;
  p.fall = fall;
  return p;
}

TEST(HealthCarry, ADownServerStaysDownAndKeepsItsProgress) {
  ManualClock clock;
  health::HealthState before(params(3, 3));
  ASSERT_TRUE(before.on_check(fail_check(), clock.now()));  // down
  before.on_check(pass_check(), clock.now());                // 1 of 3 towards rise
  health::HealthState after(params(3, 3));
  after.carry_from(before);
  EXPECT_FALSE(after.up());
  EXPECT_EQ(after.counter(), 1u);
  EXPECT_EQ(after.last().status, health::CheckStatus::l4ok);
  // Two more passes bring it up, as they would have before the reload.
  EXPECT_FALSE(after.on_check(pass_check(), clock.now()));
  auto t = after.on_check(pass_check(), clock.now());
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->up);
}

TEST(HealthCarry, CountersAreClampedToTheNewRiseAndFall) {
  ManualClock clock;
  health::HealthState before(params(2, 5));  // max counter 6
  for (int i = 0; i < 10; ++i) before.on_check(pass_check(), clock.now());
  EXPECT_EQ(before.counter(), 6u);
  health::HealthState after(params(2, 2));  // max counter 3
  after.carry_from(before);
  EXPECT_TRUE(after.up());
  EXPECT_EQ(after.counter(), 3u);
  // Down before, with a larger rise now: still down, below the new rise.
  health::HealthState down(params(5, 2));
  ASSERT_TRUE(down.on_check(fail_check(), clock.now()));
  for (int i = 0; i < 3; ++i) down.on_check(pass_check(), clock.now());
  health::HealthState smaller(params(2, 2));
  smaller.carry_from(down);
  EXPECT_FALSE(smaller.up());
  EXPECT_EQ(smaller.counter(), 1u);
}

TEST(HealthCarry, TheCheckerCarriesByNameAndTargetOnly) {
  constexpr std::string_view kChecked =
      "defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n"
      "frontend web\n  bind 127.0.0.1:8080\n  default_backend farm\n"
      "backend farm\n  server a 192.0.2.1:80 check\n  server b 192.0.2.2:80 check\n";
  Built before(kChecked);
  health::Checker old_checker(*before.rt);
  // Not started: no check ran, both servers are as configured. What is
  // tested is which servers match.
  Built middle(kChecked);
  health::Checker mid(*middle.rt);
  EXPECT_EQ(mid.carry_from(old_checker), 2u);
  EXPECT_TRUE(middle.server("farm", "a").health_up());
  // b moved to another address: its health is not b's any more.
  Built after(
      "defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n"
      "frontend web\n  bind 127.0.0.1:8080\n  default_backend farm\n"
      "backend farm\n  server a 192.0.2.1:80 check\n  server b 192.0.2.99:80 check\n");
  health::Checker next(*after.rt);
  EXPECT_EQ(next.carry_from(old_checker), 1u);
}

TEST(ListenerIdentity, SameSocketSameIdentity) {
  config::Config a = parse(
      "frontend one\n  mode http\n  bind 127.0.0.1:8080\n  bind :::8443 v4v6\n  bind 127.0.0.1:9000 transparent\n");
  config::Config b = parse("frontend two\n  mode tcp\n  bind 127.0.0.1:8080 name x backlog 10\n  bind :::8443\n");
  const auto& ab = a.proxies[0].binds;
  const auto& bb = b.proxies[0].binds;
  // Another frontend, a name, a backlog: still the same socket.
  EXPECT_EQ(net::listener_identity(ab[0]), net::listener_identity(bb[0]));
  // v4v6 and transparent change what the socket is.
  EXPECT_NE(net::listener_identity(ab[1]), net::listener_identity(bb[1]));
  EXPECT_NE(net::listener_identity(ab[2]), net::listener_identity(ab[0]));
  EXPECT_NE(net::listener_identity(ab[2]).find("transparent"), std::string::npos);
}

TEST(SessionRegistry, HardStopsOnlyTheOldRuntimesSessions) {
  proxy::SessionRegistry reg;
  int old_rt = 0, new_rt = 0;  // only their addresses matter
  std::vector<proxy::SessionHook*> stopped;
  struct Hook : proxy::SessionHook {
    std::vector<proxy::SessionHook*>* log = nullptr;
  };
  Hook h[4];
  for (int i = 0; i < 4; ++i) {
    h[i].rt = reinterpret_cast<const runtime::Runtime*>(i % 2 ? &new_rt : &old_rt);
    h[i].log = &stopped;
    h[i].hard_stop = [](proxy::SessionHook* s) { static_cast<Hook*>(s)->log->push_back(s); };
    reg.attach(h[i]);
  }
  EXPECT_EQ(reg.size(), 4u);
  reg.detach(h[2]);  // a session that ended
  reg.detach(h[2]);  // twice: harmless
  EXPECT_EQ(reg.size(), 3u);
  EXPECT_EQ(reg.hard_stop(reinterpret_cast<const runtime::Runtime*>(&old_rt)), 1u);
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_EQ(stopped[0], &h[0]);
  reg.detach(h[0]);
  reg.detach(h[3]);
  reg.detach(h[1]);
  EXPECT_EQ(reg.size(), 0u);
}

std::pair<unsigned long long, unsigned long long> inode_of(int fd) {
  struct stat st {};
  EXPECT_EQ(::fstat(fd, &st), 0);
  return {st.st_dev, st.st_ino};
}

TEST(SocketTransfer, EverySocketArrivesWithItsIdentity) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  // Sixty descriptors: more than one recvmsg's worth of data, each paired
  // with its own name.
  std::vector<net::PassedSocket> sent;
  for (int i = 0; i < 60; ++i) sent.push_back({"127.0.0.1:" + std::to_string(8000 + i / 2), ::socket(AF_INET, SOCK_STREAM, 0)});
  std::thread sender([&] { EXPECT_TRUE(net::send_sockets(pair[0], sent)); });
  auto got = net::receive_sockets(pair[1]);
  sender.join();
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ((*got)[i].identity, sent[i].identity);
    EXPECT_NE((*got)[i].fd, sent[i].fd);  // a duplicate...
    EXPECT_EQ(inode_of((*got)[i].fd), inode_of(sent[i].fd));  // ...of the same socket
    ::close((*got)[i].fd);
    ::close(sent[i].fd);
  }
  ::close(pair[0]);
  ::close(pair[1]);
}

TEST(SocketTransfer, ARefusalOrAnEarlyCloseIsAnError) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  // What an old process without `expose-fd listeners` answers.
  std::string_view refusal = "_getsocks: this socket has no 'expose-fd listeners'\n\n";
  ASSERT_EQ(::write(pair[0], refusal.data(), refusal.size()), static_cast<ssize_t>(refusal.size()));
  ::close(pair[0]);
  auto got = net::receive_sockets(pair[1]);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("expose-fd"), std::string::npos);
  ::close(pair[1]);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  ::close(pair[0]);
  EXPECT_FALSE(net::receive_sockets(pair[1]));
  ::close(pair[1]);
}

}  // namespace
}  // namespace tandem::balancer
