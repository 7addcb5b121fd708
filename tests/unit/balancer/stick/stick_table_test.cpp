// The table's data path: tracking and counters, rates with a stepped clock,
// expiry, eviction, nopurge, the reference rule, stick store/match.
#include "balancer/stick/stick_table.h"

#include <gtest/gtest.h>

#include "stick_test_util.h"

namespace tandem::balancer::stick {
namespace {

using testing::Key;
using testing::table_def;
using testing::TestClock;

class StickTableTest : public ::testing::Test {
 protected:
  std::shared_ptr<StickTable> make(std::string_view args) {
    auto t = StickTable::create(table_def(args), StickTable::Options{.id = 1, .seed = 7}, c.now());
    EXPECT_TRUE(t) << t.error().message;
    return *t;
  }
  TestClock c;
};

TEST_F(StickTableTest, TrackCountsConnectionsAndUntrackEndsThem) {
  auto t = make("type ip size 100 expire 30s store conn_cnt,conn_cur,conn_rate(10s)");
  Key k(t->def(), "192.0.2.1");
  StickRef a = t->track(k, c.now());
  StickRef b = t->track(k, c.now());
  ASSERT_TRUE(a && b);
  EXPECT_EQ(t->entries(), 1u);
  EXPECT_EQ(t->get(a, DataType::conn_cnt, c.now()), 2u);
  EXPECT_EQ(t->get(a, DataType::conn_cur, c.now()), 2u);
  EXPECT_EQ(t->get(a, DataType::conn_rate, c.now()), 2u);
  t->untrack(a, c.now());
  EXPECT_FALSE(a);
  auto v = t->lookup(k, c.now());
  ASSERT_TRUE(v);
  EXPECT_EQ(v->get(DataType::conn_cur), 1u);
  EXPECT_EQ(v->get(DataType::conn_cnt), 2u);
  EXPECT_EQ(v->refs, 1u);
  {
    StickRef moved = std::move(b);  // destroying a held ref releases it
  }
  EXPECT_EQ(t->lookup(k, c.now())->get(DataType::conn_cur), 0u);
  EXPECT_EQ(t->lookup(k, c.now())->refs, 0u);
}

// The seeds' rate limit: `http-request deny if { sc_http_req_rate(0) gt 100 }`
// with http_req_rate(10s).
TEST_F(StickTableTest, HttpRequestRateOverASlidingTenSeconds) {
  auto t = make("type ip size 100k expire 30s store http_req_rate(10s)");
  Key k(t->def(), "198.51.100.7");
  StickRef r = t->track(k, c.now());
  for (int i = 0; i < 100; ++i) t->count(r, StickEvent::http_request, 1, c.now());
  EXPECT_EQ(t->get(r, DataType::http_req_rate, c.now()), 100u);
  t->count(r, StickEvent::http_request, 1, c.now());
  EXPECT_EQ(t->get(r, DataType::http_req_rate, c.now()), 101u);     // over 100: the 101st is denied
  EXPECT_EQ(t->lookup(k, DataType::http_req_rate, c.now()), 101u);  // src_http_req_rate
  EXPECT_EQ(t->lookup(k, DataType::gpc0, c.now()), std::nullopt);   // not stored
  c.advance_ms(10000);                                              // next period: 101 * 10000/10000 carried
  EXPECT_EQ(t->get(r, DataType::http_req_rate, c.now()), 101u);
  c.advance_ms(5000);  // half-way: 101 * 5000 / 10000
  EXPECT_EQ(t->get(r, DataType::http_req_rate, c.now()), 50u);
  c.advance_ms(5000);
  EXPECT_EQ(t->get(r, DataType::http_req_rate, c.now()), 0u);
}

TEST_F(StickTableTest, EveryCounterKind) {
  auto t = make(
      "type ip size 10 store sess_cnt,sess_rate(1s),http_err_cnt,http_err_rate(1s),bytes_in_cnt,bytes_out_cnt,"
      "bytes_in_rate(1s),bytes_out_rate(1s),gpc0,gpc0_rate(1s),gpc1");
  Key k(t->def(), "10.0.0.1");
  StickRef r = t->track(k, c.now());
  t->count(r, StickEvent::session, 1, c.now());
  t->count(r, StickEvent::http_error, 1, c.now());
  t->count(r, StickEvent::bytes_in, 5'000'000'000ULL, c.now());  // 64-bit counter
  t->count(r, StickEvent::bytes_out, 300, c.now());
  EXPECT_EQ(t->inc_gpc(r, 0, c.now()), 1u);
  EXPECT_EQ(t->inc_gpc(r, 0, c.now()), 2u);
  EXPECT_EQ(t->inc_gpc(r, 1, c.now()), 1u);
  StickValues v = t->read(r, c.now());
  EXPECT_EQ(v.get(DataType::sess_cnt), 1u);
  EXPECT_EQ(v.get(DataType::sess_rate), 1u);
  EXPECT_EQ(v.get(DataType::http_err_cnt), 1u);
  EXPECT_EQ(v.get(DataType::http_err_rate), 1u);
  EXPECT_EQ(v.get(DataType::bytes_in_cnt), 5'000'000'000ULL);
  EXPECT_EQ(v.get(DataType::bytes_in_rate), 0xffffffffu);  // a 32-bit counter saturates
  EXPECT_EQ(v.get(DataType::bytes_out_cnt), 300u);
  EXPECT_EQ(v.get(DataType::bytes_out_rate), 300u);
  EXPECT_EQ(v.get(DataType::gpc0), 2u);
  EXPECT_EQ(v.get(DataType::gpc0_rate), 2u);
  EXPECT_EQ(v.get(DataType::gpc1), 1u);
  EXPECT_FALSE(v.has(DataType::conn_cnt));
  EXPECT_EQ(t->clr_gpc(r, 0, c.now()), 2u);
  EXPECT_EQ(t->get(r, DataType::gpc0, c.now()), 0u);
}

// The seeds' abuser flag: src_inc_gpc0 marks, the mark lasts `expire`.
TEST_F(StickTableTest, KeyBasedGpcCreatesAndLookupDoesNot) {
  auto t = make("type ip size 200k expire 2m store conn_rate(3s),gpc0");
  Key abuser(t->def(), "203.0.113.9"), other(t->def(), "203.0.113.10");
  EXPECT_FALSE(t->lookup(other, c.now()));
  EXPECT_EQ(t->entries(), 0u);
  EXPECT_EQ(t->inc_gpc(abuser, 0, c.now()), 1u);
  EXPECT_EQ(t->lookup(abuser, c.now())->get(DataType::gpc0), 1u);
  c.advance_ms(119999);
  EXPECT_EQ(t->lookup(abuser, c.now())->get(DataType::gpc0), 1u);  // still denied
  c.advance_ms(1);
  EXPECT_FALSE(t->lookup(abuser, c.now()));       // two minutes later: allowed again
  EXPECT_EQ(t->inc_gpc(abuser, 0, c.now()), 1u);  // a fresh entry
}

TEST_F(StickTableTest, ExpiredEntriesReadAbsentAndExpireReclaimsThemInBudget) {
  auto t = make("type ip size 1000 expire 30s store gpc0");
  for (int i = 0; i < 300; ++i)
    (void)t->inc_gpc(Key(t->def(), "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250)), 0, c.now());
  EXPECT_EQ(t->entries(), 300u);
  Key fresh(t->def(), "10.1.0.5");
  c.advance_ms(20000);
  EXPECT_TRUE(t->touch(fresh, c.now()));  // refreshed: lives until 50 s
  c.advance_ms(10000);
  EXPECT_TRUE(t->lookup(fresh, c.now()));
  EXPECT_FALSE(t->lookup(Key(t->def(), "10.1.0.6"), c.now()));
  EXPECT_EQ(t->entries(), 300u);  // not reclaimed until expire() runs
  c.advance_ms(1000);             // the bucket holding them is now over
  // A budget of 2 per shard: several calls, each bounded.
  int calls = 0;
  while (t->expire(c.now(), 2)) ++calls;
  EXPECT_GT(calls, 3);
  EXPECT_EQ(t->entries(), 1u);
  EXPECT_TRUE(t->lookup(fresh, c.now()));
  c.advance_ms(20000);
  t->expire(c.now(), 1000);
  EXPECT_EQ(t->entries(), 0u);
}

TEST_F(StickTableTest, NeverMoreThanSizeAndTheClosestToExpiryIsEvicted) {
  auto t = make("type ip size 4 expire 60s store gpc0");
  const char* keys[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"};
  for (const char* k : keys) {
    ASSERT_TRUE(t->inc_gpc(Key(t->def(), k), 0, c.now()));
    c.advance_ms(1000);
  }
  EXPECT_TRUE(t->touch(Key(t->def(), "10.0.0.1"), c.now()));  // .1 is now the newest
  ASSERT_TRUE(t->inc_gpc(Key(t->def(), "10.0.0.5"), 0, c.now()));
  EXPECT_EQ(t->entries(), 4u);
  EXPECT_FALSE(t->lookup(Key(t->def(), "10.0.0.2"), c.now()));  // the closest to expiry went
  EXPECT_TRUE(t->lookup(Key(t->def(), "10.0.0.1"), c.now()));
  EXPECT_TRUE(t->lookup(Key(t->def(), "10.0.0.3"), c.now()));
  ASSERT_TRUE(t->inc_gpc(Key(t->def(), "10.0.0.6"), 0, c.now()));
  EXPECT_FALSE(t->lookup(Key(t->def(), "10.0.0.3"), c.now()));
  // Many more: the bound holds.
  for (int i = 0; i < 1000; ++i) t->inc_gpc(Key(t->def(), "10.2.0." + std::to_string(i % 250)), 0, c.now());
  EXPECT_EQ(t->entries(), 4u);
}

TEST_F(StickTableTest, EntriesInUseAreNeverEvictedNorExpired) {
  auto t = make("type ip size 2 expire 10s store conn_cur");
  StickRef a = t->track(Key(t->def(), "10.0.0.1"), c.now());
  StickRef b = t->track(Key(t->def(), "10.0.0.2"), c.now());
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(t->track(Key(t->def(), "10.0.0.3"), c.now()));  // full of entries in use: refused
  c.advance_ms(60000);
  t->expire(c.now(), 100);
  EXPECT_EQ(t->entries(), 2u);
  EXPECT_TRUE(t->lookup(Key(t->def(), "10.0.0.1"), c.now()));  // in use: alive past its expiry
  EXPECT_EQ(t->get(a, DataType::conn_cur, c.now()), 1u);
  EXPECT_FALSE(t->erase(Key(t->def(), "10.0.0.1"), c.now()));  // nor removed by clear
  EXPECT_EQ(t->clear(c.now()), 0u);
  t->untrack(a, c.now());  // released: refreshed, then evictable
  StickRef d = t->track(Key(t->def(), "10.0.0.4"), c.now());
  ASSERT_TRUE(d);
  EXPECT_FALSE(t->lookup(Key(t->def(), "10.0.0.1"), c.now()));
  EXPECT_TRUE(t->lookup(Key(t->def(), "10.0.0.2"), c.now()));
}

TEST_F(StickTableTest, NopurgeRefusesNewKeysWhenFull) {
  auto t = make("type ip size 2 expire 10s nopurge store gpc0");
  ASSERT_TRUE(t->inc_gpc(Key(t->def(), "10.0.0.1"), 0, c.now()));
  ASSERT_TRUE(t->inc_gpc(Key(t->def(), "10.0.0.2"), 0, c.now()));
  EXPECT_FALSE(t->inc_gpc(Key(t->def(), "10.0.0.3"), 0, c.now()));
  EXPECT_FALSE(t->track(Key(t->def(), "10.0.0.3"), c.now()));
  EXPECT_EQ(t->inc_gpc(Key(t->def(), "10.0.0.1"), 0, c.now()), 2u);  // existing keys still count
  c.advance_ms(10000);                                               // expired entries make room even with nopurge
  EXPECT_TRUE(t->inc_gpc(Key(t->def(), "10.0.0.3"), 0, c.now()));
}

TEST_F(StickTableTest, WithoutExpireTheLeastRecentlyUsedIsEvicted) {
  auto t = make("type integer size 3 store gpc0");
  for (const char* k : {"1", "2", "3"}) {
    ASSERT_TRUE(t->inc_gpc(Key(t->def(), k), 0, c.now()));
    c.advance_ms(10);
  }
  EXPECT_TRUE(t->touch(Key(t->def(), "1"), c.now()));
  c.advance_ms(10);
  ASSERT_TRUE(t->inc_gpc(Key(t->def(), "4"), 0, c.now()));
  EXPECT_FALSE(t->lookup(Key(t->def(), "2"), c.now()));
  EXPECT_TRUE(t->lookup(Key(t->def(), "1"), c.now()));
  c.advance_ms(24LL * 3600 * 1000);  // never expires
  EXPECT_TRUE(t->lookup(Key(t->def(), "3"), c.now()));
  EXPECT_EQ(t->lookup(Key(t->def(), "3"), c.now())->expire_in_ms, 0u);
}

// `stick on src`: match, else choose and store; the server by name and id.
TEST_F(StickTableTest, StickStoreAndMatchByServerRef) {
  auto t = make("type ip size 200k expire 30m");
  TableDef d = t->def();
  ASSERT_FALSE(d.stores(DataType::server_id));
  d.ensure_stored(DataType::server_id);  // what a stick rule does to its table
  t = *StickTable::create(d, {}, c.now());
  auto web1 = t->server_ref("web1", 1);
  auto web2 = t->server_ref("web2", 2);
  ASSERT_TRUE(web1 && web2);
  EXPECT_EQ(t->server_ref("web1", 1), web1);  // stable
  Key client(t->def(), "192.0.2.44");
  EXPECT_FALSE(t->match_server(client, c.now()));
  ASSERT_TRUE(t->store_server(client, *web2, c.now()));
  auto m = t->match_server(client, c.now());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->ref, *web2);
  EXPECT_EQ(m->id, 2u);
  EXPECT_EQ(t->server_name(m->ref), "web2");
  // A reload renumbers servers: entries keep the name, the id follows.
  t->server_ref("web2", 7);
  EXPECT_EQ(t->match_server(client, c.now())->id, 7u);
  // Matching refreshes the entry.
  c.advance_ms(29 * 60 * 1000);
  ASSERT_TRUE(t->match_server(client, c.now()));
  c.advance_ms(29 * 60 * 1000);
  EXPECT_TRUE(t->match_server(client, c.now()));
}

TEST_F(StickTableTest, KeysOfTheWrongSizeAreRefused) {
  auto t = make("type ip size 10 store gpc0");
  std::uint8_t six[6] = {};
  EXPECT_FALSE(t->track(KeyView{six, 6}, c.now()));
  EXPECT_FALSE(t->inc_gpc(KeyView{six, 6}, 0, c.now()));
  EXPECT_EQ(t->entries(), 0u);
}

TEST_F(StickTableTest, StringKeysOfEveryLength) {
  auto t = make("type string len 8 size 100 store gpc0");
  for (std::string s : {"", "a", "ab", "abcdefgh"}) ASSERT_TRUE(t->inc_gpc(Key(t->def(), s), 0, c.now())) << s;
  EXPECT_EQ(t->entries(), 4u);
  EXPECT_EQ(t->lookup(Key(t->def(), "ab"), c.now())->get(DataType::gpc0), 1u);
  EXPECT_FALSE(t->lookup(Key(t->def(), "abc"), c.now()));
}

TEST_F(StickTableTest, ExpiryAcrossTheTickWrap) {
  // ManualClock starts 1000 h after its epoch: about 8 days before 2^32 ms.
  const std::uint32_t before_wrap = 0xffffffffu - c.now().tick_ms;
  c.advance_ms(before_wrap - 2000);
  auto t = make("type ip size 10 expire 5s store gpc0");
  Key k(t->def(), "10.0.0.1");
  ASSERT_TRUE(t->inc_gpc(k, 0, c.now()));
  c.advance_ms(4000);  // across the wrap
  EXPECT_LT(c.now().tick_ms, 5000u);
  EXPECT_TRUE(t->lookup(k, c.now()));
  c.advance_ms(1000);
  EXPECT_FALSE(t->lookup(k, c.now()));
  c.advance_ms(100);
  t->expire(c.now(), 10);
  EXPECT_EQ(t->entries(), 0u);
}

TEST_F(StickTableTest, LongIdleSweepIsCheap) {
  auto t = make("type ip size 100 expire 10ms store gpc0");
  ASSERT_TRUE(t->inc_gpc(Key(t->def(), "10.0.0.1"), 0, c.now()));
  c.advance_ms(20LL * 24 * 3600 * 1000);  // 20 days idle: 1.7e9 buckets of 1 ms
  EXPECT_FALSE(t->expire(c.now(), 10));
  EXPECT_EQ(t->entries(), 0u);
}

TEST_F(StickTableTest, CreateRejectsInvalidDefinitions) {
  TableDef d = table_def("type ip size 10");
  d.size = 0;
  EXPECT_FALSE(StickTable::create(d, {}, c.now()));
  d = table_def("type ip size 10");
  d.store.push_back({DataType::http_req_rate, 0});
  EXPECT_FALSE(StickTable::create(d, {}, c.now()));
}

}  // namespace
}  // namespace tandem::balancer::stick
