#include <gtest/gtest.h>

#include <vector>

#include "balancer/net/buffer_pool.h"
#include "balancer/net/cidr.h"
#include "balancer/net/deadlines.h"

namespace tandem::balancer::net {
namespace {

using namespace std::chrono_literals;

struct Fired {
  std::vector<int> order;
};

struct Node {
  Fired* log;
  int id;
  Deadline d{&Node::fire, this};
  static void fire(void* p) {
    auto* n = static_cast<Node*>(p);
    n->log->order.push_back(n->id);
  }
};

TEST(Deadlines, FireInExpiryOrderAcrossDurations) {
  DeadlineLists lists;
  Fired f;
  SteadyTime t0{std::chrono::seconds(100)};
  Node a{&f, 1}, b{&f, 2}, c{&f, 3};
  lists.arm(a.d, 100ms, t0);
  lists.arm(b.d, 30ms, t0 + 10ms);
  lists.arm(c.d, 100ms, t0 + 5ms);
  EXPECT_EQ(lists.next_expiry(), t0 + 40ms);
  lists.expire(t0 + 39ms);
  EXPECT_TRUE(f.order.empty());
  lists.expire(t0 + 100ms);
  EXPECT_EQ(f.order, (std::vector<int>{1, 2}));  // a, then b within the same pass
  lists.expire(t0 + 105ms);
  EXPECT_EQ(f.order, (std::vector<int>{1, 2, 3}));
  EXPECT_TRUE(lists.empty());
}

TEST(Deadlines, RearmMovesToTheTailAndDisarmForgets) {
  DeadlineLists lists;
  Fired f;
  SteadyTime t0{std::chrono::seconds(100)};
  Node a{&f, 1}, b{&f, 2};
  lists.arm(a.d, 50ms, t0);
  lists.arm(b.d, 50ms, t0 + 1ms);
  lists.arm(a.d, 50ms, t0 + 20ms);  // activity on a
  lists.expire(t0 + 60ms);
  EXPECT_EQ(f.order, (std::vector<int>{2}));
  a.d.disarm();
  lists.expire(t0 + 200ms);
  EXPECT_EQ(f.order, (std::vector<int>{2}));
  lists.arm(a.d, 0ms, t0);  // zero: no timeout
  EXPECT_FALSE(a.d.armed());
}

TEST(Deadlines, ACallbackMayRearmItself) {
  DeadlineLists lists;
  SteadyTime t0{std::chrono::seconds(100)};
  struct Self {
    DeadlineLists* lists;
    SteadyTime now;
    int fired = 0;
    Deadline d{&Self::fire, this};
    static void fire(void* p) {
      auto* s = static_cast<Self*>(p);
      if (++s->fired < 3) s->lists->arm(s->d, 10ms, s->now);
    }
  } s{&lists, t0};
  lists.arm(s.d, 10ms, t0);
  for (int i = 1; i <= 5; ++i) {
    s.now = t0 + i * 10ms;
    lists.expire(s.now);
  }
  EXPECT_EQ(s.fired, 3);
}

TEST(Cidr, Matching) {
  auto net = Cidr::parse("10.0.0.0/8");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->contains(asio::ip::make_address("10.1.2.3")));
  EXPECT_FALSE(net->contains(asio::ip::make_address("11.0.0.1")));
  EXPECT_TRUE(net->contains(asio::ip::make_address("::ffff:10.9.9.9")));
  auto host = Cidr::parse("192.0.2.1");
  EXPECT_TRUE(host->contains(asio::ip::make_address("192.0.2.1")));
  EXPECT_FALSE(host->contains(asio::ip::make_address("192.0.2.2")));
  auto v6 = Cidr::parse("2001:db8::/32");
  EXPECT_TRUE(v6->contains(asio::ip::make_address("2001:db8:1::5")));
  EXPECT_FALSE(v6->contains(asio::ip::make_address("10.0.0.1")));
  auto odd = Cidr::parse("203.0.113.0/25");
  EXPECT_TRUE(odd->contains(asio::ip::make_address("203.0.113.127")));
  EXPECT_FALSE(odd->contains(asio::ip::make_address("203.0.113.128")));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/33"));
  EXPECT_FALSE(Cidr::parse("bogus/8"));
}

TEST(Buffers, PoolReusesAndTrimsWhatAPeriodLeftUnused) {
  BufferPool pool(1024, 1);
  char* a = pool.acquire();
  char* b = pool.acquire();
  char* c = pool.acquire();
  EXPECT_EQ(pool.in_use(), 3u);
  pool.release(a);
  pool.release(b);
  pool.release(c);  // kept beyond the cap until a trim
  EXPECT_TRUE(pool.has_surplus());
  pool.trim();  // all three were needed during this period: none goes
  EXPECT_TRUE(pool.has_surplus());
  EXPECT_EQ(pool.acquire(), c);  // the most recently freed first
  pool.release(c);
  pool.trim();  // two stayed free the whole period, one is kept: the oldest goes
  EXPECT_TRUE(pool.has_surplus());
  pool.trim();
  EXPECT_FALSE(pool.has_surplus());
  EXPECT_EQ(pool.acquire(), c);
  EXPECT_EQ(pool.in_use(), 1u);
  IoBuffer buf;
  buf.ensure(pool);
  std::memcpy(buf.space(), "hello", 5);
  buf.commit(5);
  buf.consume(2);
  EXPECT_EQ(buf.view(), "llo");
  buf.compact();
  EXPECT_EQ(buf.space_size(), 1024u - 3);
  buf.consume(3);
  buf.release_if_empty();
  EXPECT_FALSE(buf.allocated());
}

}  // namespace
}  // namespace tandem::balancer::net
