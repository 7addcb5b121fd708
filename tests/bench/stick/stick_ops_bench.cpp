// Per-operation cost of the stick-table data path (google-benchmark): what a
// worker pays per request. Keys are drawn at random from a 1M-entry table (the
// entry is rarely in cache, as with real clients) or from 1000 hot keys (in
// cache: the instruction cost alone). The tables are replicated, with a
// thread collecting changes every 100 ms as the maintenance tick does.
#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>
#include <vector>

#include "balancer/stick/stick_registry.h"
#include "balancer/stick/stick_table_parser.h"
#include "common/config/lexer.h"

using namespace tandem::balancer::stick;

namespace {

constexpr std::uint32_t kEntries = 1'000'000;
const StickNow kNow{1000, 1'800'000'000'000'000};

TableDef def_of(const char* text, const char* name) {
  auto lines = tandem::config::lex(text, "bench");
  return *parse_stick_table(lines->at(0), name);
}

struct Fixture {
  Fixture() : reg({"lb1", "bench", 1u << 20}) {
    table = *reg.install(
        def_of(
            "stick-table type ip size 1m expire 30m peers p store server_id,conn_cur,conn_cnt,http_req_rate(10s),gpc0",
            "web"),
        7, kNow);
    // Full tables for eviction: above 64k entries eviction looks at the key's
    // shard only; up to 64k, at every shard.
    big = *reg.install(def_of("stick-table type ip size 100k expire 30m peers p store server_id", "big"), 8, kNow);
    small = *reg.install(def_of("stick-table type ip size 10k expire 30m peers p store server_id", "small"), 9, kNow);
    server = *table->server_ref("s1", 1);
    std::uint8_t b[4];
    for (std::uint32_t i = 0; i < kEntries; ++i) {
      key(i, b);
      table->store_server(KeyView{b, 4}, server, kNow);
      if (i % 10000 == 0) reg.collect();
    }
    reg.collect();
    collector = std::thread([this] {
      while (!stop) {
        reg.collect();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  ~Fixture() {
    stop = true;
    collector.join();
  }
  static void key(std::uint32_t i, std::uint8_t* out) {
    out[0] = 10;
    out[1] = static_cast<std::uint8_t>(i >> 16);
    out[2] = static_cast<std::uint8_t>(i >> 8);
    out[3] = static_cast<std::uint8_t>(i);
  }
  StickRegistry reg;
  std::shared_ptr<StickTable> table, big, small;
  ServerRef server = 0;
  std::atomic<bool> stop{false};
  std::thread collector;
};

Fixture& fx() {
  static Fixture f;
  return f;
}

// Random keys among `range` (xorshift; a different stream per thread).
struct Keys {
  explicit Keys(std::uint32_t range, int thread) : range(range), x(0x9E3779B9u * (thread + 1)) {}
  KeyView next() {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    Fixture::key(x % range, buf);
    return KeyView{buf, 4};
  }
  std::uint32_t range;
  std::uint32_t x;
  std::uint8_t buf[4];
};

// A session's whole life on one request: track-sc, count the request, end.
void BM_TrackCountUntrack(benchmark::State& st) {
  Fixture& f = fx();
  Keys k(static_cast<std::uint32_t>(st.range(0)), st.thread_index());
  for (auto _ : st) {
    StickRef r = f.table->track(k.next(), kNow);
    f.table->count(r, StickEvent::http_request, 1, kNow);
    f.table->untrack(r, kNow);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_TrackCountUntrack)->Arg(1000)->Arg(kEntries)->Threads(1)->Threads(2)->UseRealTime();

// One counter update through a held reference (a request on a kept-alive connection).
void BM_CountByRef(benchmark::State& st) {
  Fixture& f = fx();
  Keys k(static_cast<std::uint32_t>(st.range(0)), st.thread_index());
  std::vector<StickRef> refs;
  for (int i = 0; i < 1024; ++i) refs.push_back(f.table->track(k.next(), kNow));
  std::size_t i = 0;
  for (auto _ : st) f.table->count(refs[i++ & 1023], StickEvent::http_request, 1, kNow);
  for (auto& r : refs) f.table->untrack(r, kNow);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_CountByRef)->Arg(1000)->Arg(kEntries)->Threads(1)->Threads(2)->UseRealTime();

// src_http_req_rate(web): a lookup that reads a rate.
void BM_LookupRate(benchmark::State& st) {
  Fixture& f = fx();
  Keys k(static_cast<std::uint32_t>(st.range(0)), st.thread_index());
  for (auto _ : st) benchmark::DoNotOptimize(f.table->lookup(k.next(), kNow));
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_LookupRate)->Arg(1000)->Arg(kEntries)->Threads(1)->Threads(2)->UseRealTime();

// The same, reading only the rate (what the fetch needs).
void BM_LookupOneValue(benchmark::State& st) {
  Fixture& f = fx();
  Keys k(static_cast<std::uint32_t>(st.range(0)), st.thread_index());
  for (auto _ : st) benchmark::DoNotOptimize(f.table->lookup(k.next(), DataType::http_req_rate, kNow));
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_LookupOneValue)->Arg(1000)->Arg(kEntries)->Threads(1)->UseRealTime();

// stick match on src.
void BM_MatchServer(benchmark::State& st) {
  Fixture& f = fx();
  Keys k(static_cast<std::uint32_t>(st.range(0)), st.thread_index());
  for (auto _ : st) benchmark::DoNotOptimize(f.table->match_server(k.next(), kNow));
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_MatchServer)->Arg(1000)->Arg(kEntries)->Threads(1)->Threads(2)->UseRealTime();

// New clients into a full table: each creates an entry and evicts one.
void BM_NewKeyFullTable(benchmark::State& st) {
  Fixture& f = fx();
  StickTable& t = st.range(0) == 0 ? *f.big : *f.small;
  std::uint32_t i = 0x01000000u * (st.thread_index() + 1);
  std::uint8_t b[4];
  for (auto _ : st) {
    Fixture::key(i++, b);
    b[0] = static_cast<std::uint8_t>(20 + st.thread_index());
    benchmark::DoNotOptimize(t.store_server(KeyView{b, 4}, 1, kNow));
  }
  st.SetItemsProcessed(st.iterations());
  st.counters["entries"] = static_cast<double>(t.entries());
}
// Arg 0: the 100k table (own-shard eviction); 1: the 10k table (global).
BENCHMARK(BM_NewKeyFullTable)->Arg(0)->Arg(1)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
