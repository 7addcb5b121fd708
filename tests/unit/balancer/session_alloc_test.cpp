#include "balancer/proxy/session_alloc.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

namespace tandem::balancer::proxy {
namespace {

struct Probe {
  explicit Probe(int& alive) : alive(alive) { ++alive; }
  ~Probe() { --alive; }
  int& alive;
  std::string text = std::string(100, 'x');  // owns memory of its own
};

// allocate_shared through the session allocator: constructed once,
// destroyed once, its block freed with the size it was allocated with (the
// sanitizer build checks the sizes; in tandem-balancer the block comes from
// the thread's own jemalloc arena).
TEST(SessionAlloc, SharedObjectsLiveAndDieOnce) {
  int alive = 0;
  {
    auto a = std::allocate_shared<Probe>(SessionAllocator<Probe>{}, alive);
    auto b = std::allocate_shared<Probe>(SessionAllocator<Probe>{}, alive);
    EXPECT_EQ(alive, 2);
    std::weak_ptr<Probe> w = a;
    a.reset();
    EXPECT_TRUE(w.expired());
    EXPECT_EQ(alive, 1);
  }
  EXPECT_EQ(alive, 0);
}

// A session may end on another thread than the one that made it (shutdown).
TEST(SessionAlloc, FreedOnAnotherThread) {
  int alive = 0;
  auto p = std::allocate_shared<Probe>(SessionAllocator<Probe>{}, alive);
  std::thread([q = std::move(p)]() mutable { q.reset(); }).join();
  EXPECT_EQ(alive, 0);
}

TEST(SessionAlloc, NoOwnArenaWithoutJemalloc) {
  // Test binaries do not link jemalloc: plain new/delete.
  EXPECT_FALSE(sessions_have_own_arena());
}

}  // namespace
}  // namespace tandem::balancer::proxy
