// Several threads on one table at once: workers tracking, counting and
// untracking (hot keys and a churning key space that forces eviction), the
// control thread expiring and collecting, a Watch reader, an operator
// clearing. Run under ASan/UBSan in CI. (TSan is not available in our
// toolchain; the lock rules are in stick_table.h and stick_shard.h: every
// entry field under its shard's mutex, no two shard mutexes held except via
// try_lock, registry -> log locks never taken while a shard lock is held.)
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "balancer/stick/stick_registry.h"
#include "balancer/stick/stick_watch.h"
#include "stick_test_util.h"

namespace tandem::balancer::stick {
namespace {

using testing::table_def;

TEST(StickConcurrency, ManyThreadsOneTable) {
  StickRegistry reg({"lb1", "i1", 4096});
  StickNow t0{1000, 1'800'000'000'000'000};
  auto hot = *reg.install(
      table_def("type ip size 1000 expire 60s peers p store conn_cur,conn_cnt,http_req_cnt,http_req_rate(10s),gpc0",
                "hot"),
      1, t0);
  auto churn = *reg.install(table_def("type ip size 64 expire 60s peers p store conn_cur,gpc0", "churn"), 2, t0);

  std::atomic<std::uint32_t> tick{1000};
  auto now = [&] {
    return StickNow{tick.load(std::memory_order_relaxed), 1'800'000'000'000'000 + tick.load() * 1000LL};
  };
  std::atomic<bool> stop{false};
  std::atomic<bool> bound_broken{false};
  constexpr int kWorkers = 4, kRounds = 20000, kHotKeys = 100;

  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      std::uint32_t x = 12345u + w;
      for (int i = 0; i < kRounds; ++i) {
        x = x * 1103515245u + 12345u;
        std::uint8_t hk[4] = {10, 0, 0, static_cast<std::uint8_t>((x >> 8) % kHotKeys)};
        StickRef r = hot->track(KeyView{hk, 4}, now());
        ASSERT_TRUE(r);
        hot->count(r, StickEvent::http_request, 1, now());
        if (i % 7 == 0) hot->inc_gpc(r, 0, now());
        (void)hot->get(r, DataType::http_req_rate, now());
        std::uint8_t ck[4] = {10, 1, static_cast<std::uint8_t>(x >> 16), static_cast<std::uint8_t>(x >> 24)};
        StickRef c = churn->track(KeyView{ck, 4}, now());  // may be refused: 64 slots, all in use
        if (churn->entries() > 64) bound_broken = true;
        (void)churn->inc_gpc(KeyView{ck, 4}, 0, now());
        if (c) churn->untrack(c, now());
        hot->untrack(r, now());
      }
    });
  }
  threads.emplace_back([&] {  // the control thread
    while (!stop) {
      tick.fetch_add(1);  // 1 ms of table time per pass: hot keys never idle 60 s
      reg.maintain(now(), 64);
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  });
  std::atomic<std::uint64_t> watched{0};
  threads.emplace_back([&] {  // a Watch stream
    auto w = *StickWatch::create(reg, WatchParams{{}, {}, "lb2", 256});
    WatchOutput out;
    while (!stop) {
      if (w->next(out, now()))
        watched += out.images.entries.size();
      else
        std::this_thread::yield();
    }
  });
  threads.emplace_back([&] {  // an operator clearing now and then
    while (!stop) {
      churn->clear(now());
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  for (int w = 0; w < kWorkers; ++w) threads[w].join();
  stop = true;
  for (std::size_t i = kWorkers; i < threads.size(); ++i) threads[i].join();

  EXPECT_FALSE(bound_broken);
  EXPECT_LE(churn->entries(), 64u);
  EXPECT_GT(watched.load(), 0u);
  // Hot keys were never evicted (the table has room) nor expired (in use or
  // touched within 60 s), so every count is exact and every session ended.
  std::uint64_t requests = 0, conns = 0;
  for (int k = 0; k < kHotKeys; ++k) {
    std::uint8_t hk[4] = {10, 0, 0, static_cast<std::uint8_t>(k)};
    auto v = hot->lookup(KeyView{hk, 4}, now());
    if (!v) continue;
    EXPECT_EQ(v->refs, 0u);
    EXPECT_EQ(v->get(DataType::conn_cur), 0u);
    requests += v->get(DataType::http_req_cnt);
    conns += v->get(DataType::conn_cnt);
  }
  EXPECT_EQ(requests, static_cast<std::uint64_t>(kWorkers) * kRounds);
  EXPECT_EQ(conns, static_cast<std::uint64_t>(kWorkers) * kRounds);
  StickTable::ScanPos pos;
  ImageBatch all;
  while (!churn->scan_done(pos)) churn->scan(pos, 1000, now(), 0, all);
  for (const EntryImage& e : all.entries) EXPECT_EQ(e.refs, 0u);
}

}  // namespace
}  // namespace tandem::balancer::stick
