// The balancing algorithms: distribution, weights, exclusions, and how keys
// move when servers come and go.
#include <gtest/gtest.h>

#include <map>

#include "balancer/lb/algorithm.h"
#include "balancer/lb/hash.h"
#include "balancer/lb/request_key.h"

namespace tandem::balancer::lb {
namespace {

config::BalanceSpec spec(config::Balance a, config::HashType h = config::HashType::map_based) {
  config::BalanceSpec s;
  s.algorithm = a;
  s.hash_type = h;
  s.hash_avalanche = h == config::HashType::consistent;
  return s;
}

std::vector<Member> members(std::initializer_list<std::uint32_t> weights) {
  std::vector<Member> m;
  std::uint32_t id = 1;
  for (auto w : weights) m.push_back({id++, w});
  return m;
}

std::map<int, int> count(Algorithm& a, int n, PickRequest r = {}) {
  std::map<int, int> c;
  for (int i = 0; i < n; ++i) ++c[a.pick(r)];
  return c;
}

TEST(RoundRobin, EqualWeightsRotate) {
  auto a = make_algorithm(spec(config::Balance::roundrobin));
  a->rebuild(members({1, 1, 1}));
  std::vector<int> order;
  for (int i = 0; i < 6; ++i) order.push_back(a->pick({}));
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 0, 1, 2}));
}

TEST(RoundRobin, WeightsAreExactAndSpread) {
  auto a = make_algorithm(spec(config::Balance::roundrobin));
  a->rebuild(members({5, 1, 1}));
  std::vector<int> cycle;
  for (int i = 0; i < 7; ++i) cycle.push_back(a->pick({}));
  EXPECT_EQ(std::count(cycle.begin(), cycle.end(), 0), 5);
  EXPECT_EQ(std::count(cycle.begin(), cycle.end(), 1), 1);
  // never five of the heavy one in a row
  int run = 0, longest = 0;
  for (int x : cycle) longest = std::max(longest, run = (x == 0 ? run + 1 : 0));
  EXPECT_LE(longest, 3);
}

TEST(RoundRobin, ZeroWeightAndExcludedAreSkipped) {
  auto a = make_algorithm(spec(config::Balance::roundrobin));
  a->rebuild(members({1, 0, 1}));
  auto c = count(*a, 100);
  EXPECT_EQ(c[0], 50);
  EXPECT_EQ(c[2], 50);
  EXPECT_EQ(c.count(1), 0u);
  std::vector<bool> ex{true, false, false};
  PickRequest r;
  r.excluded = &ex;
  EXPECT_EQ(a->pick(r), 2);
  a->rebuild(members({0, 0}));
  EXPECT_EQ(a->pick({}), -1);
}

TEST(RoundRobin, RuntimeWeightChangeTakesEffect) {
  auto a = make_algorithm(spec(config::Balance::roundrobin));
  a->rebuild(members({1, 1}));
  (void)count(*a, 3);
  a->rebuild(members({3, 1}));
  auto c = count(*a, 400);
  EXPECT_NEAR(c[0], 300, 2);
}

TEST(LeastConn, PicksTheLeastLoadedRelativeToWeight) {
  auto a = make_algorithm(spec(config::Balance::leastconn));
  a->rebuild(members({1, 1, 2}));
  std::vector<std::uint32_t> load{5, 2, 5};
  PickRequest r;
  r.load = &load;
  EXPECT_EQ(a->pick(r), 1);
  load = {5, 6, 5};  // (5+1)/2 = 3 for the weight-2 server
  EXPECT_EQ(a->pick(r), 2);
  a->rebuild(members({1, 1, 1}));
  load = {0, 0, 0};  // equal scores rotate, so an idle farm still spreads
  auto c = count(*a, 30, r);
  EXPECT_EQ(c.size(), 3u);
}

TEST(First, FillsServersInIdOrder) {
  auto a = make_algorithm(spec(config::Balance::first));
  std::vector<Member> m{{3, 1}, {1, 1}, {2, 1}};
  a->rebuild(m);
  EXPECT_EQ(a->pick({}), 1);  // id 1
  std::vector<bool> full{false, true, false};
  PickRequest r;
  r.excluded = &full;
  EXPECT_EQ(a->pick(r), 2);  // id 2 once id 1 is full
}

TEST(Random, FollowsWeights) {
  auto a = make_algorithm(spec(config::Balance::random));
  a->rebuild(members({3, 1}));
  std::mt19937 rng(1);
  std::vector<std::uint32_t> load{0, 0};
  PickRequest r;
  r.rng = &rng;
  r.load = &load;
  auto c = count(*a, 4000, r);
  // two draws, least loaded (ties: first draw); the heavier one dominates
  EXPECT_GT(c[0], c[1]);
  std::vector<bool> ex{true, false};
  r.excluded = &ex;
  EXPECT_EQ(a->pick(r), 1);
}

TEST(MapHash, SameKeySameServerAndFallbackWithoutKey) {
  auto a = make_algorithm(spec(config::Balance::source));
  a->rebuild(members({1, 1, 1}));
  PickRequest r;
  r.hash = 12345;
  int first = a->pick(r);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a->pick(r), first);
  std::map<int, int> spread;
  for (std::uint32_t k = 0; k < 300; ++k) {
    r.hash = hash_sdbm(std::to_string(k * 7919));
    ++spread[a->pick(r)];
  }
  EXPECT_EQ(spread.size(), 3u);
  auto c = count(*a, 3);  // no key: round robin
  EXPECT_EQ(c.size(), 3u);
}

TEST(ConsistentHash, OnlyTheLeavingServersKeysMove) {
  auto s = spec(config::Balance::uri, config::HashType::consistent);
  auto a = make_algorithm(s);
  a->rebuild(members({1, 1, 1, 1}));
  std::vector<int> before;
  for (int k = 0; k < 2000; ++k) {
    PickRequest r;
    r.hash = hash_for(s, "/page/" + std::to_string(k));
    before.push_back(a->pick(r));
  }
  std::map<int, int> share;
  for (int b : before) ++share[b];
  for (auto& [srv, n] : share) EXPECT_GT(n, 300) << srv;  // reasonably even
  // Server 2 goes down (weight 0): only its keys move; when it returns, they come back.
  a->rebuild(std::vector<Member>{{1, 1}, {2, 1}, {3, 0}, {4, 1}});
  int moved = 0;
  for (int k = 0; k < 2000; ++k) {
    PickRequest r;
    r.hash = hash_for(s, "/page/" + std::to_string(k));
    int now = a->pick(r);
    if (before[k] != 2) {
      EXPECT_EQ(now, before[k]) << k;
    }
    moved += now != before[k];
  }
  EXPECT_EQ(moved, share[2]);
  a->rebuild(members({1, 1, 1, 1}));
  for (int k = 0; k < 2000; ++k) {
    PickRequest r;
    r.hash = hash_for(s, "/page/" + std::to_string(k));
    EXPECT_EQ(a->pick(r), before[k]);
  }
}

TEST(ConsistentHash, ExcludedServerFallsToTheNextPoint) {
  auto s = spec(config::Balance::source, config::HashType::consistent);
  auto a = make_algorithm(s);
  a->rebuild(members({1, 1}));
  PickRequest r;
  r.hash = 42;
  int first = a->pick(r);
  std::vector<bool> ex(2, false);
  ex[static_cast<size_t>(first)] = true;
  r.excluded = &ex;
  EXPECT_EQ(a->pick(r), 1 - first);
}

TEST(Hashes, KnownValues) {
  EXPECT_EQ(hash_crc32("123456789"), 0xcbf43926u);  // the CRC-32 check value
  EXPECT_EQ(hash_djb2(""), 5381u);
  EXPECT_EQ(hash_sdbm("a"), 97u);
  EXPECT_NE(avalanche(1), avalanche(2));
}

TEST(RequestKey, UriLenDepthWhole) {
  config::BalanceSpec s;
  EXPECT_EQ(uri_key("/a/b/c?x=1", s), "/a/b/c");
  s.uri_depth = 2;
  EXPECT_EQ(uri_key("/a/b/c?x=1", s), "/a/b");
  s.uri_depth = 0;
  s.uri_len = 3;
  EXPECT_EQ(uri_key("/a/b/c", s), "/a/");
  s.uri_len = 0;
  s.uri_whole = true;
  EXPECT_EQ(uri_key("/a?x=1", s), "/a?x=1");
  EXPECT_EQ(uri_key("http://h/a/b?q", config::BalanceSpec{}), "/a/b");
}

TEST(RequestKey, UrlParamAndDomain) {
  EXPECT_EQ(url_param("/x?a=1&userid=42&b", "userid"), "42");
  EXPECT_EQ(url_param("/x?b", "b"), "");
  EXPECT_FALSE(url_param("/x?a=1", "userid"));
  EXPECT_FALSE(url_param("/x", "a"));
  EXPECT_EQ(domain_only("www.example.com:8080"), "example");
  EXPECT_EQ(domain_only("example.com"), "example");
  EXPECT_EQ(domain_only("localhost"), "localhost");
}

}  // namespace
}  // namespace tandem::balancer::lb
