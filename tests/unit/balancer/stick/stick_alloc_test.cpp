// The data path allocates nothing for an existing key. Every call a worker
// makes per request is counted through a replaced operator new, in steady
// state: the keys exist and each shard's pending list has reached its working
// capacity (collections happen between rounds, as the maintenance tick does).
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "balancer/stick/stick_registry.h"
#include "stick_test_util.h"

namespace {
thread_local bool counting = false;
thread_local long allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (counting) ++allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace tandem::balancer::stick {
namespace {

TEST(StickAlloc, NoAllocationPerRequestForExistingKeys) {
  testing::TestClock c;
  StickRegistry reg({"lb1", "i1", 1u << 16});
  auto t = *reg.install(
      testing::table_def("type ip size 10k expire 30s peers p store server_id,conn_cur,http_req_rate(10s),gpc0", "w"),
      1, c.now());
  const ServerRef s1 = *t->server_ref("s1", 1);
  // One request's worth of calls, on each of 5000 clients.
  auto requests = [&] {
    for (std::uint32_t i = 0; i < 5000; ++i) {
      std::uint8_t ip[4] = {10, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
      KeyView k{ip, 4};
      StickRef r = t->track(k, c.now());
      t->count(r, StickEvent::http_request, 1, c.now());
      t->count(r, StickEvent::bytes_in, 100, c.now());
      (void)t->inc_gpc(r, 0, c.now());
      (void)t->get(r, DataType::http_req_rate, c.now());
      (void)t->read(r, c.now());
      t->untrack(r, c.now());
      (void)t->match_server(k, c.now());
      (void)t->store_server(k, s1, c.now());
      (void)t->lookup(k, c.now());
      (void)t->touch(k, c.now());
    }
  };
  requests();  // creates the keys: slabs and indexes grow
  reg.collect();
  requests();  // pending lists reach their working size
  reg.collect();
  c.advance_ms(1000);
  counting = true;
  requests();
  counting = false;
  EXPECT_EQ(allocations, 0);
}

}  // namespace
}  // namespace tandem::balancer::stick
