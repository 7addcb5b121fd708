// The replication contract without sockets: sequence numbers, Watch cursors
// (resume, gap -> snapshot, new instance -> snapshot), echo suppression,
// tombstones, coalescing; Apply's conflict rule and GetApplied.
#include "balancer/stick/stick_watch.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "balancer/stick/stick_registry.h"
#include "stick_test_util.h"

namespace tandem::balancer::stick {
namespace {

using testing::Key;
using testing::table_def;
using testing::TestClock;

// What a receiver sees of one entry.
struct Seen {
  std::string key;
  std::string server;
  std::uint64_t gpc0 = 0;
  bool deleted = false;
  std::string origin;
  std::uint64_t seq = 0;
  std::uint32_t expire_in_ms = 0;
};

std::vector<Seen> seen(const StickRegistry& reg, const WatchOutput& out) {
  std::vector<Seen> v;
  for (const EntryImage& e : out.images.entries) {
    Seen s;
    s.key = format_key_text(e.table->key_format(), out.images.key(e));
    s.server = std::string(e.table->server_name(e.server));
    for (const DatumImage& d : out.images.datums(e))
      if (d.type == DataType::gpc0) s.gpc0 = d.value;
    s.deleted = e.deleted;
    s.origin = std::string(reg.nodes().name(e.origin));
    s.seq = e.seq;
    s.expire_in_ms = e.expire_in_ms;
    v.push_back(s);
  }
  return v;
}

// An image as a peer's Apply would receive it.
struct Incoming {
  Incoming(const ImageBatch& b, const EntryImage& e, std::string_view origin) : origin_node(origin) {
    key.assign(b.key(e).bytes());
    server = std::string(e.table->server_name(e.server));
    for (const DatumImage& d : b.datums(e))
      data.push_back(IncomingDatum{d.type, d.value, is_rate(d.type), d.period_ms, d.rate});
    in.key = key.view();
    in.server_name = server;
    in.data = data;
    in.expire_in_ms = e.expire_in_ms;
    in.origin_node = origin_node;
    in.origin_us = e.origin_us;
    in.deleted = e.deleted;
  }
  KeyBuf key;
  std::string server;
  std::vector<IncomingDatum> data;
  std::string origin_node;
  IncomingEntry in;
};

class StickWatchTest : public ::testing::Test {
 protected:
  static constexpr const char* kDef = "type ip size 5000 expire 60s peers p store server_id,http_req_rate(10s),gpc0";

  std::unique_ptr<StickRegistry> make_registry(std::string node, std::string instance, std::size_t log = 1024) {
    auto r = std::make_unique<StickRegistry>(StickRegistry::Options{node, instance, log});
    auto t = r->install(table_def(kDef, "web"), 1, c.now());
    EXPECT_TRUE(t) << t.error().message;
    return r;
  }
  void SetUp() override {
    reg = make_registry("lb1", "i1");
    web = reg->find("web");
  }
  std::unique_ptr<StickWatch> watch(Cursor from, std::string peer = "lb2", std::uint32_t max_batch = 0) {
    auto w = StickWatch::create(*reg, WatchParams{std::move(from), {}, std::move(peer), max_batch});
    EXPECT_TRUE(w) << w.error().message;
    return std::move(*w);
  }
  void bump(std::string_view ip, int times = 1) {
    for (int i = 0; i < times; ++i) ASSERT_TRUE(web->inc_gpc(Key(web->def(), ip), 0, c.now()));
  }

  TestClock c;
  std::unique_ptr<StickRegistry> reg;
  std::shared_ptr<StickTable> web;
  WatchOutput out;
};

TEST_F(StickWatchTest, EveryChangeTakesTheNextSequenceNumber) {
  bump("10.0.0.1");
  bump("10.0.0.2");
  bump("10.0.0.3");
  EXPECT_EQ(reg->log().head(), 0u);  // numbered when collected, not on the data path
  reg->collect();
  EXPECT_EQ(reg->log().head(), 3u);
  EXPECT_EQ(web->last_seq(), 3u);
  bump("10.0.0.2");
  reg->collect();
  EXPECT_EQ(reg->log().head(), 4u);
  reg->collect();  // nothing new
  EXPECT_EQ(reg->log().head(), 4u);
}

TEST_F(StickWatchTest, EmptyCursorGetsASnapshotThenLiveChanges) {
  bump("10.0.0.1");
  bump("10.0.0.2", 2);
  auto w = watch({});
  ASSERT_TRUE(w->next(out, c.now()));
  EXPECT_TRUE(out.snapshot_begin);
  EXPECT_TRUE(out.snapshot_end);
  EXPECT_EQ(out.cursor, (Cursor{"i1", 2}));
  auto s = seen(*reg, out);
  ASSERT_EQ(s.size(), 2u);
  std::map<std::string, std::uint64_t> got;
  for (auto& e : s) got[e.key] = e.gpc0;
  EXPECT_EQ(got["10.0.0.1"], 1u);
  EXPECT_EQ(got["10.0.0.2"], 2u);
  EXPECT_FALSE(w->next(out, c.now()));  // nothing since

  bump("10.0.0.3");
  ASSERT_TRUE(w->next(out, c.now()));
  EXPECT_FALSE(out.snapshot_begin || out.snapshot_end);
  EXPECT_EQ(out.cursor, (Cursor{"i1", 3}));
  s = seen(*reg, out);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].key, "10.0.0.3");
  EXPECT_EQ(s[0].seq, 3u);
  EXPECT_EQ(s[0].origin, "lb1");
  EXPECT_EQ(s[0].expire_in_ms, 60000u);
}

TEST_F(StickWatchTest, ResumeFromACursorSendsOnlyWhatFollows) {
  bump("10.0.0.1");
  auto w = watch({});
  ASSERT_TRUE(w->next(out, c.now()));
  Cursor acked = out.cursor;
  w.reset();  // the stream breaks
  bump("10.0.0.2");
  bump("10.0.0.3");
  auto again = watch(acked);
  ASSERT_TRUE(again->next(out, c.now()));
  EXPECT_FALSE(out.snapshot_begin);
  auto s = seen(*reg, out);
  ASSERT_EQ(s.size(), 2u);
  // Log order is per shard, not across keys: compare as a set.
  std::set<std::string> keys{s[0].key, s[1].key};
  EXPECT_EQ(keys, (std::set<std::string>{"10.0.0.2", "10.0.0.3"}));
  EXPECT_EQ(out.cursor, (Cursor{"i1", 3}));
}

TEST_F(StickWatchTest, AnotherInstanceOrABogusCursorGetsASnapshot) {
  bump("10.0.0.1");
  reg->collect();
  for (Cursor from : {Cursor{"i0", 1}, Cursor{"i1", 99}}) {
    auto w = watch(from);
    ASSERT_TRUE(w->next(out, c.now()));
    EXPECT_TRUE(out.snapshot_begin && out.snapshot_end);
    EXPECT_EQ(seen(*reg, out).size(), 1u);
  }
}

TEST_F(StickWatchTest, APointNoLongerKeptGetsASnapshot) {
  bump("10.0.0.1");
  auto w = watch({});
  ASSERT_TRUE(w->next(out, c.now()));
  Cursor old = out.cursor;
  // More distinct changes than the log keeps (1024), collected as they come.
  for (int i = 0; i < 1500; ++i) {
    bump("10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250));
    if (i % 100 == 0) reg->collect();
  }
  reg->collect();
  EXPECT_GT(reg->log().first(), old.seq + 1);
  // A new stream from the old cursor...
  auto fresh = watch(old);
  ASSERT_TRUE(fresh->next(out, c.now()));
  EXPECT_TRUE(out.snapshot_begin);
  // ...and the live stream that fell behind both start over with a snapshot.
  std::size_t entries = 0;
  bool began = false, ended = false;
  while (w->next(out, c.now())) {
    began = began || out.snapshot_begin;
    entries += out.images.entries.size();
    if (out.snapshot_end) {
      ended = true;
      break;
    }
  }
  EXPECT_TRUE(began && ended);
  EXPECT_EQ(entries, 1501u);
}

TEST_F(StickWatchTest, SnapshotBatchesCarryAnEmptyCursorUntilTheEnd) {
  for (int i = 0; i < 25; ++i) bump("10.0.0." + std::to_string(i));
  auto w = watch({}, "lb2", 10);
  std::vector<WatchOutput> batches;
  while (w->next(out, c.now())) batches.push_back(out);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_TRUE(batches[0].snapshot_begin);
  EXPECT_TRUE(batches[0].cursor.empty());
  EXPECT_TRUE(batches[1].cursor.empty());
  EXPECT_TRUE(batches[2].snapshot_end);
  EXPECT_EQ(batches[2].cursor, (Cursor{"i1", 25}));
  EXPECT_EQ(batches[0].images.entries.size() + batches[1].images.entries.size() + batches[2].images.entries.size(),
            25u);
}

TEST_F(StickWatchTest, ManyChangesToOneKeyCoalesceIntoItsLatestState) {
  auto w = watch({});
  ASSERT_TRUE(w->next(out, c.now()));  // empty snapshot
  bump("10.0.0.9", 10000);
  ASSERT_TRUE(w->next(out, c.now()));
  auto s = seen(*reg, out);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].gpc0, 10000u);
  // Changes collected in between (another stream, the maintenance tick):
  // the reader still sends the entry once, in its latest state.
  bump("10.0.0.9");
  reg->collect();
  bump("10.0.0.9");
  reg->collect();
  bump("10.0.0.9");
  ASSERT_TRUE(w->next(out, c.now()));
  s = seen(*reg, out);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].gpc0, 10003u);
  EXPECT_EQ(out.cursor.seq, reg->log().head());
}

TEST_F(StickWatchTest, DeletesAreTombstones) {
  bump("10.0.0.1");
  bump("10.0.0.2");
  bump("10.0.0.3");
  auto w = watch({});
  ASSERT_TRUE(w->next(out, c.now()));
  EXPECT_TRUE(web->erase(Key(web->def(), "10.0.0.2"), c.now()));
  ASSERT_TRUE(w->next(out, c.now()));
  auto s = seen(*reg, out);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].key, "10.0.0.2");
  EXPECT_TRUE(s[0].deleted);
  EXPECT_EQ(s[0].origin, "lb1");
  EXPECT_EQ(web->clear(c.now()), 2u);
  ASSERT_TRUE(w->next(out, c.now()));
  s = seen(*reg, out);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_TRUE(s[0].deleted && s[1].deleted);
  // Expiry is not a delete: each node expires on its own.
  bump("10.0.0.4");
  ASSERT_TRUE(w->next(out, c.now()));
  c.advance_ms(61000);
  web->expire(c.now(), 100);
  EXPECT_EQ(web->entries(), 0u);
  EXPECT_FALSE(w->next(out, c.now()));
}

TEST_F(StickWatchTest, ADeleteThenRecreateOfOneKeyIsLoggedInThatOrder) {
  auto w = watch({});
  ASSERT_TRUE(w->next(out, c.now()));
  bump("10.0.0.1");  // pending, not yet collected
  EXPECT_TRUE(web->erase(Key(web->def(), "10.0.0.1"), c.now()));
  bump("10.0.0.1", 2);  // back, maybe in the same slot
  ASSERT_TRUE(w->next(out, c.now()));
  auto s = seen(*reg, out);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_TRUE(s[0].deleted);
  EXPECT_FALSE(s[1].deleted);
  EXPECT_EQ(s[1].gpc0, 2u);
}

TEST_F(StickWatchTest, NothingEchoesBackToThePeerOutsideSnapshots) {
  auto w = watch({}, "lb2");
  ASSERT_TRUE(w->next(out, c.now()));
  // lb2 teaches us an entry.
  auto peer = make_registry("lb2", "j1");
  auto pweb = peer->find("web");
  ASSERT_TRUE(pweb->inc_gpc(Key(pweb->def(), "10.0.0.7"), 0, c.now()));
  auto pw = StickWatch::create(*peer, WatchParams{{}, {}, "lb1", 0});
  WatchOutput pout;
  ASSERT_TRUE((*pw)->next(pout, c.now()));
  Incoming in(pout.images, pout.images.entries[0], "lb2");
  ASSERT_EQ(reg->apply(*web, in.in, c.now()), ApplyOutcome::applied);

  // Live: not sent back to lb2; the cursor still moves past it.
  ASSERT_TRUE(w->next(out, c.now()));
  EXPECT_TRUE(out.images.entries.empty());
  EXPECT_EQ(out.cursor.seq, reg->log().head());
  EXPECT_FALSE(w->next(out, c.now()));
  // Sent to another node; and in a snapshot (a restarted lb2 needs it back).
  auto other = watch({"i1", 0}, "lb3");
  bool found = false;
  while (other->next(out, c.now()))
    for (auto& s : seen(*reg, out)) found = found || (s.key == "10.0.0.7" && s.origin == "lb2");
  EXPECT_TRUE(found);
  auto snap = watch({}, "lb2");
  ASSERT_TRUE(snap->next(out, c.now()));
  EXPECT_TRUE(out.snapshot_begin);
  ASSERT_EQ(seen(*reg, out).size(), 1u);
  EXPECT_EQ(seen(*reg, out)[0].origin, "lb2");  // learned entries keep their origin
}

TEST_F(StickWatchTest, WatchRefusesUnknownAndUnreplicatedTables) {
  ASSERT_TRUE(reg->install(table_def("type ip size 10", "local"), 1, c.now()));
  EXPECT_FALSE(StickWatch::create(*reg, WatchParams{{}, {"nope"}, "lb2", 0}));
  auto r = StickWatch::create(*reg, WatchParams{{}, {"local"}, "lb2", 0});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "stick table 'local' is not replicated (no 'peers')");
}

// ---- Apply ------------------------------------------------------------------

class ApplyTest : public StickWatchTest {
 protected:
  Result<ApplyOutcome> put(std::string_view ip, std::int64_t us, std::string_view node, std::uint64_t gpc0,
                           bool deleted = false, std::int64_t expire_in = 60000) {
    Key k(web->def(), ip);
    IncomingDatum d{DataType::gpc0, gpc0};
    IncomingEntry in;
    in.key = k;
    in.server_name = "web1";
    in.data = std::span<const IncomingDatum>(&d, 1);
    in.expire_in_ms = expire_in;
    in.origin_node = node;
    in.origin_us = us;
    in.deleted = deleted;
    return reg->apply(*web, in, c.now());
  }
  std::uint64_t gpc0(std::string_view ip) {
    auto v = web->lookup(Key(web->def(), ip), c.now());
    return v ? v->get(DataType::gpc0) : 999;
  }
};

TEST_F(ApplyTest, LastWriterWinsByOriginTimeThenNodeName) {
  EXPECT_EQ(put("10.0.0.1", 100, "lb2", 1), ApplyOutcome::applied);
  EXPECT_EQ(put("10.0.0.1", 50, "lb2", 2), ApplyOutcome::stale);   // older
  EXPECT_EQ(put("10.0.0.1", 100, "lb2", 3), ApplyOutcome::stale);  // the same version
  EXPECT_EQ(gpc0("10.0.0.1"), 1u);
  EXPECT_EQ(put("10.0.0.1", 100, "lb3", 4), ApplyOutcome::applied);  // same time, later name
  EXPECT_EQ(put("10.0.0.1", 100, "lb0", 5), ApplyOutcome::stale);
  EXPECT_EQ(put("10.0.0.1", 200, "lb0", 6), ApplyOutcome::applied);
  EXPECT_EQ(gpc0("10.0.0.1"), 6u);
  auto v = web->lookup(Key(web->def(), "10.0.0.1"), c.now());
  EXPECT_EQ(web->server_name(v->server.ref), "web1");
  EXPECT_EQ(v->server.id, 0u);  // no local server of that name yet

  // A local change beats what it modifies even if the peer's clock is ahead.
  EXPECT_EQ(put("10.0.0.2", c.now().wall_us + 5'000'000, "lb2", 1), ApplyOutcome::applied);
  bump("10.0.0.2");
  EXPECT_EQ(put("10.0.0.2", c.now().wall_us + 5'000'000, "lb2", 9), ApplyOutcome::stale);
  EXPECT_EQ(gpc0("10.0.0.2"), 2u);
}

TEST_F(ApplyTest, LearnedEntriesKeepTheirRemainingExpiryAndRates) {
  Key k(web->def(), "10.0.0.1");
  IncomingDatum d{DataType::http_req_rate, 0, true, 10000, RateState{40, 20, 5000}};
  IncomingEntry in{k, "", std::span<const IncomingDatum>(&d, 1), 5000, "lb2", 1, false};
  ASSERT_EQ(reg->apply(*web, in, c.now()), ApplyOutcome::applied);
  auto v = web->lookup(k, c.now());
  ASSERT_TRUE(v);
  EXPECT_EQ(v->expire_in_ms, 5000u);
  EXPECT_EQ(v->get(DataType::http_req_rate), 40u + 20u * 5000 / 10000);
  c.advance_ms(5000);
  EXPECT_FALSE(web->lookup(k, c.now()));  // expires here on its own schedule
  // A remaining time above the table's expire is capped at it.
  in.origin_us = 2;
  in.expire_in_ms = 1'000'000'000;
  ASSERT_EQ(reg->apply(*web, in, c.now()), ApplyOutcome::applied);
  EXPECT_EQ(web->lookup(k, c.now())->expire_in_ms, 60000u);
}

TEST_F(ApplyTest, ATombstoneRemovesOrResetsAnEntryInUse) {
  ASSERT_EQ(put("10.0.0.1", 100, "lb2", 5), ApplyOutcome::applied);
  EXPECT_EQ(put("10.0.0.1", 90, "lb2", 0, true), ApplyOutcome::stale);  // older delete
  EXPECT_EQ(put("10.0.0.1", 110, "lb2", 0, true), ApplyOutcome::applied);
  EXPECT_EQ(gpc0("10.0.0.1"), 999u);
  EXPECT_EQ(put("10.0.0.9", 110, "lb2", 0, true), ApplyOutcome::applied);  // nothing to delete

  StickRef used = web->track(Key(web->def(), "10.0.0.3"), c.now());
  bump("10.0.0.3", 3);
  ASSERT_EQ(put("10.0.0.3", c.now().wall_us + 1000000, "lb2", 0, true), ApplyOutcome::applied);
  EXPECT_EQ(gpc0("10.0.0.3"), 0u);  // kept for its session, values cleared
  web->untrack(used, c.now());
}

// A delete is remembered (a tombstone) for the table's expire, so a
// concurrent older write arriving later cannot resurrect the key here only.
TEST_F(ApplyTest, DeletesBeatOlderWritesThatArriveLate) {
  ASSERT_EQ(put("10.0.0.1", 100, "lb2", 5), ApplyOutcome::applied);
  ASSERT_EQ(put("10.0.0.1", 200, "lb2", 0, true), ApplyOutcome::applied);
  EXPECT_EQ(web->entries(), 0u);
  EXPECT_EQ(put("10.0.0.1", 150, "lb3", 7), ApplyOutcome::stale);  // older than the delete
  EXPECT_FALSE(web->lookup(Key(web->def(), "10.0.0.1"), c.now()));
  // A delete of a key never seen here is remembered too.
  ASSERT_EQ(put("10.0.0.2", 200, "lb2", 0, true), ApplyOutcome::applied);
  EXPECT_EQ(put("10.0.0.2", 150, "lb3", 7), ApplyOutcome::stale);
  // A later write brings the key back.
  EXPECT_EQ(put("10.0.0.1", 300, "lb3", 8), ApplyOutcome::applied);
  EXPECT_EQ(gpc0("10.0.0.1"), 8u);
  // Local traffic brings a deleted key back as a new version.
  EXPECT_TRUE(web->erase(Key(web->def(), "10.0.0.1"), c.now()));
  EXPECT_FALSE(web->erase(Key(web->def(), "10.0.0.1"), c.now()));  // already gone
  bump("10.0.0.1");
  EXPECT_EQ(gpc0("10.0.0.1"), 1u);
  // Tombstones last the table's expire (60 s), then go.
  c.advance_ms(60000);
  web->expire(c.now(), 1000);
  EXPECT_EQ(put("10.0.0.2", 150, "lb3", 7), ApplyOutcome::applied);
}

TEST_F(StickWatchTest, ClearingAFullNopurgeTableMakesRoom) {
  auto t = *reg->install(table_def("type ip size 4 expire 60s nopurge peers p store gpc0", "np"), 2, c.now());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(t->inc_gpc(Key(t->def(), "10.0.0." + std::to_string(i)), 0, c.now()));
  EXPECT_FALSE(t->inc_gpc(Key(t->def(), "10.0.0.9"), 0, c.now()));  // full, nopurge
  EXPECT_EQ(t->clear(c.now()), 4u);                                 // four tombstones now hold the slots...
  for (int i = 10; i < 14; ++i)                                     // ...and give them up to new keys
    EXPECT_TRUE(t->inc_gpc(Key(t->def(), "10.0.0." + std::to_string(i)), 0, c.now()));
  EXPECT_EQ(t->entries(), 4u);
  EXPECT_FALSE(t->inc_gpc(Key(t->def(), "10.0.0.20"), 0, c.now()));
}

TEST_F(ApplyTest, UntrustedEntriesAreValidated) {
  std::uint8_t six[6] = {};
  IncomingEntry in{KeyView{six, 6}, "", {}, 1000, "lb2", 1, false};
  auto r = reg->apply(*web, in, c.now());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "key of 6 bytes for table 'web' (ip of 4 bytes)");

  Key k(web->def(), "10.0.0.1");
  auto check = [&](IncomingDatum d, std::string_view want) {
    IncomingEntry e{k, "", std::span<const IncomingDatum>(&d, 1), 1000, "lb2", 1, false};
    auto res = reg->apply(*web, e, c.now());
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().message, want);
  };
  check({DataType::conn_cur, 1}, "table 'web' does not store conn_cur");
  check({DataType::gpc0, 1ULL << 33}, "gpc0 8589934592 is out of range (32 bits)");
  check({DataType::http_req_rate, 0, true, 5000, {}}, "http_req_rate has period 5000ms, the table's is 10000ms");
  check({DataType::http_req_rate, 3, false, 0, {}}, "http_req_rate without its counter state");
  check({DataType::server_id, 1}, "server_id is carried as a server name");

  IncomingEntry e{k, "", {}, -5, "lb2", 1, false};
  EXPECT_EQ(reg->apply(*web, e, c.now()).error().message, "negative expiry");
  e = IncomingEntry{k, "", {}, 5, "", 1, false};
  EXPECT_EQ(reg->apply(*web, e, c.now()).error().message, "entry without an origin node");
  e = IncomingEntry{k, "", {}, 5, "lb2", -1, false};
  EXPECT_EQ(reg->apply(*web, e, c.now()).error().message, "negative origin time");
  EXPECT_EQ(web->entries(), 0u);  // nothing refused was stored
}

TEST_F(ApplyTest, GetAppliedRemembersTheSourceCursorPerInstance) {
  EXPECT_TRUE(reg->applied("lb2").empty());
  reg->set_applied("lb2", Cursor{"j1", 42});
  EXPECT_EQ(reg->applied("lb2"), (Cursor{"j1", 42}));
  EXPECT_TRUE(reg->applied("lb3").empty());
  // A restarted balancer is a new registry: nothing applied, so its peer
  // sends a full snapshot.
  auto restarted = make_registry("lb1", "i2");
  EXPECT_TRUE(restarted->applied("lb2").empty());
}

// Two nodes replicating both ways through the core only: they converge,
// including after one restarts.
TEST_F(ApplyTest, TwoNodesConverge) {
  auto b = make_registry("lb2", "j1");
  auto bweb = b->find("web");
  auto pump = [&](StickRegistry& from, StickRegistry& to, std::unique_ptr<StickWatch>& w) {
    WatchOutput o;
    while (w->next(o, c.now())) {
      for (const EntryImage& e : o.images.entries) {
        Incoming in(o.images, e, from.nodes().name(e.origin));
        auto r = to.apply(*to.find(e.table->name()), in.in, c.now());
        ASSERT_TRUE(r) << r.error().message;
      }
      if (!o.cursor.empty()) to.set_applied(from.node(), o.cursor);
    }
  };
  auto dump = [&](StickTable& t) {
    std::map<std::string, std::pair<std::uint64_t, std::string>> m;
    StickTable::ScanPos pos;
    ImageBatch ib;
    while (!t.scan_done(pos)) t.scan(pos, 100, c.now(), 0, ib);
    for (const EntryImage& e : ib.entries) {
      std::uint64_t g = 0;
      for (auto& d : ib.datums(e))
        if (d.type == DataType::gpc0) g = d.value;
      m[format_key_text(t.key_format(), ib.key(e))] = {g, std::string(t.server_name(e.server))};
    }
    return m;
  };
  auto a_to_b = *StickWatch::create(*reg, WatchParams{b->applied("lb1"), {}, "lb2", 0});
  auto b_to_a = *StickWatch::create(*b, WatchParams{reg->applied("lb2"), {}, "lb1", 0});
  auto s1 = web->server_ref("s1", 1);
  for (int i = 0; i < 300; ++i) {
    Key k(web->def(), "10.0." + std::to_string(i / 200) + "." + std::to_string(i % 200));
    web->inc_gpc(k, 0, c.now());
    if (i % 3 == 0) web->store_server(k, *s1, c.now());
  }
  pump(*reg, *b, a_to_b);
  pump(*b, *reg, b_to_a);  // the reverse stream is live too (a snapshot carries no deletes)
  for (int i = 0; i < 50; ++i) bweb->inc_gpc(Key(bweb->def(), "10.0.0." + std::to_string(i)), 0, c.now());
  bweb->erase(Key(bweb->def(), "10.0.1.5"), c.now());
  pump(*b, *reg, b_to_a);
  pump(*reg, *b, a_to_b);  // nothing echoes back
  EXPECT_EQ(dump(*web), dump(*bweb));
  EXPECT_EQ(dump(*web).size(), 299u);
  EXPECT_EQ(dump(*web)["10.0.0.3"], (std::pair<std::uint64_t, std::string>{2, "s1"}));

  // lb2 restarts: new instance, empty table, nothing applied.
  b = make_registry("lb2", "j2");
  bweb = b->find("web");
  a_to_b = *StickWatch::create(*reg, WatchParams{b->applied("lb1"), {}, "lb2", 0});
  b_to_a = *StickWatch::create(*b, WatchParams{reg->applied("lb2"), {}, "lb1", 0});  // j1 cursor: snapshot of j2
  pump(*reg, *b, a_to_b);
  pump(*b, *reg, b_to_a);
  EXPECT_EQ(dump(*web), dump(*bweb));
  EXPECT_EQ(dump(*bweb).size(), 299u);
}

}  // namespace
}  // namespace tandem::balancer::stick
