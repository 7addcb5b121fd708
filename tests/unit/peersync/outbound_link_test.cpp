#include "peersync/replication/outbound_link.h"

#include <gtest/gtest.h>

namespace tandem::peersync {
namespace {

using namespace std::chrono_literals;

TableSchema web(std::uint64_t entries = 0) { return TableSchema{"web", 1, 0, {{1, 0}, {12, 10000}}, entries}; }

struct OutboundLinkTest : ::testing::Test {
  ManualClock clock;
  OutboundLink link{"lb2", LinkTimers{}};
  RandomSource zero = [] { return std::uint64_t{0}; };
  LocalView local{"inst-A", 500, {web(300)}};

  StartPlan welcome(Cursor holding, std::vector<TableSchema> peer_tables = {web()}) {
    link.dialing(clock.now());
    auto plan = link.welcomed(WelcomeView{"lb2", holding, peer_tables, {}}, local, clock.now());
    EXPECT_TRUE(plan) << plan.error().message;
    return plan.value_or(StartPlan{});
  }
  const TableStatus& table(const LinkStatus& s, const std::string& name) {
    for (const auto& t : s.tables)
      if (t.table == name) return t;
    static TableStatus none;
    ADD_FAILURE() << "no table " << name;
    return none;
  }
};

TEST_F(OutboundLinkTest, StartsConnecting) {
  EXPECT_EQ(link.status(clock.now()).state, SyncState::connecting);
  EXPECT_FALSE(link.established());
}

TEST_F(OutboundLinkTest, ResumesFromTheCursorOfTheSameInstance) {
  auto plan = welcome({"inst-A", 420});
  EXPECT_FALSE(plan.full_resync);
  EXPECT_EQ(plan.from, (Cursor{"inst-A", 420}));
  EXPECT_EQ(plan.tables, std::vector<std::string>{"web"});
  auto s = link.status(clock.now());
  EXPECT_EQ(s.state, SyncState::synced);
  EXPECT_EQ(s.lag_entries, 80u);  // head 500, the peer holds 420
}

TEST_F(OutboundLinkTest, FullResyncWhenThePeerHoldsAnotherInstanceNothingOrTheFuture) {
  for (Cursor holding : {Cursor{"inst-OLD", 900}, Cursor{}, Cursor{"inst-A", 501}}) {
    auto plan = welcome(holding);
    EXPECT_TRUE(plan.full_resync) << holding.instance_id << " " << holding.seq;
    EXPECT_TRUE(plan.from.empty());
    EXPECT_EQ(link.status(clock.now()).state, SyncState::syncing);
  }
}

TEST_F(OutboundLinkTest, SnapshotProgressThenSyncedOnlyWhenTheEndIsAcked) {
  welcome({});
  auto id1 = link.sending({{}, true, false, {{"web", 200}}}, clock.now());
  auto s = link.status(clock.now());
  EXPECT_EQ(table(s, "web").state, SyncState::syncing);
  EXPECT_EQ(table(s, "web").resync_done, 200u);
  EXPECT_EQ(table(s, "web").resync_total, 300u);
  auto id2 = link.sending({{"inst-A", 500}, false, true, {{"web", 100}}}, clock.now());
  EXPECT_EQ(id2, id1 + 1);
  clock.advance(3ms);
  s = link.status(clock.now());
  EXPECT_EQ(table(s, "web").lag_entries, 300u);
  EXPECT_EQ(table(s, "web").lag_ms, 3);
  ASSERT_TRUE(link.acked({id1, {}, 0, ""}, clock.now()));
  EXPECT_EQ(link.status(clock.now()).state, SyncState::syncing);
  ASSERT_TRUE(link.acked({id2, {"inst-A", 500}, 0, ""}, clock.now()));
  s = link.status(clock.now());
  EXPECT_EQ(s.state, SyncState::synced);
  EXPECT_EQ(table(s, "web").state, SyncState::synced);
  EXPECT_EQ(s.lag_entries, 0u);
  EXPECT_EQ(s.acked, (Cursor{"inst-A", 500}));
  EXPECT_EQ(s.entries_acked, 300u);
  EXPECT_EQ(s.full_resyncs, 1u);
}

TEST_F(OutboundLinkTest, TheBalancerMayChooseASnapshotWhenAskedToResume) {
  welcome({"inst-A", 10});
  link.sending({{}, true, false, {{"web", 5}}}, clock.now());
  EXPECT_EQ(link.status(clock.now()).state, SyncState::syncing);
}

TEST_F(OutboundLinkTest, AnAckIsCumulativeAndMustNameABatchInFlightWithItsCursor) {
  welcome({"inst-A", 500});
  link.local_head(530);
  auto a = link.sending({{"inst-A", 510}, false, false, {{"web", 10}}}, clock.now());
  link.sending({{"inst-A", 520}, false, false, {{"web", 10}}}, clock.now());
  link.sending({{"inst-A", 530}, false, false, {{"web", 10}}}, clock.now());
  EXPECT_FALSE(link.acked({a + 1, {"inst-A", 999}, 0, ""}, clock.now()));  // not that batch's cursor
  EXPECT_FALSE(link.acked({a + 3, {"inst-A", 540}, 0, ""}, clock.now()));  // never sent
  EXPECT_EQ(link.in_flight(), 3u);
  // Batch a+1 acknowledges a too.
  ASSERT_TRUE(link.acked({a + 1, {"inst-A", 520}, 0, ""}, clock.now()));
  auto s = link.status(clock.now());
  EXPECT_EQ(link.in_flight(), 1u);
  EXPECT_EQ(s.batches_acked, 2u);
  EXPECT_EQ(s.entries_acked, 20u);
  EXPECT_EQ(s.acked, (Cursor{"inst-A", 520}));
  EXPECT_EQ(s.lag_entries, 10u);
  EXPECT_FALSE(link.acked({a, {"inst-A", 510}, 0, ""}, clock.now()));  // already acknowledged
  ASSERT_TRUE(link.acked({a + 2, {"inst-A", 530}, 0, ""}, clock.now()));
  EXPECT_EQ(link.in_flight(), 0u);
  EXPECT_FALSE(link.acked({a + 2, {"inst-A", 530}, 0, ""}, clock.now()));  // nothing in flight
}

TEST_F(OutboundLinkTest, ACumulativeAckOverASnapshotEndMakesTheLinkSynced) {
  welcome({});
  link.sending({{}, true, false, {{"web", 200}}}, clock.now());
  auto end = link.sending({{"inst-A", 500}, false, true, {{"web", 100}}}, clock.now());
  ASSERT_TRUE(link.acked({end, {"inst-A", 500}, 0, ""}, clock.now()));
  auto s = link.status(clock.now());
  EXPECT_EQ(s.state, SyncState::synced);
  EXPECT_EQ(table(s, "web").state, SyncState::synced);
  EXPECT_EQ(s.entries_acked, 300u);
}

TEST_F(OutboundLinkTest, LagCountsUnackedChangesAndTheAgeOfTheOldestBatch) {
  welcome({"inst-A", 500});
  link.local_head(530);
  auto a = link.sending({{"inst-A", 520}, false, false, {{"web", 20}}}, clock.now());
  clock.advance(7ms);
  auto s = link.status(clock.now());
  EXPECT_EQ(s.lag_entries, 30u);
  EXPECT_EQ(s.lag_ms, 7);
  ASSERT_TRUE(link.acked({a, {"inst-A", 520}, 0, ""}, clock.now()));
  s = link.status(clock.now());
  EXPECT_EQ(s.lag_entries, 10u);
  EXPECT_EQ(s.lag_ms, 0);
}

TEST_F(OutboundLinkTest, ALiveBatchGoesAtOnceOnlyWhenNothingIsInFlight) {
  welcome({"inst-A", 500});
  const BatchSummary live{{"inst-A", 501}, false, false, {{"web", 1}}};
  EXPECT_TRUE(link.may_send(live));
  auto a = link.sending(live, clock.now());
  EXPECT_FALSE(link.may_send({{"inst-A", 502}, false, false, {{"web", 1}}}));
  ASSERT_TRUE(link.acked({a, {"inst-A", 501}, 0, ""}, clock.now()));
  EXPECT_TRUE(link.may_send({{"inst-A", 502}, false, false, {{"web", 1}}}));
}

TEST_F(OutboundLinkTest, SnapshotBatchesOverlapAFewRoundTrips) {
  welcome({});
  const std::size_t window = LinkTimers{}.snapshot_unacked;
  ASSERT_GT(window, 1u);
  EXPECT_TRUE(link.may_send({{}, true, false, {{"web", 10}}}));
  link.sending({{}, true, false, {{"web", 10}}}, clock.now());
  for (std::size_t i = 1; i < window; ++i) {
    EXPECT_TRUE(link.may_send({{}, false, false, {{"web", 10}}})) << i;
    link.sending({{}, false, false, {{"web", 10}}}, clock.now());
  }
  EXPECT_FALSE(link.may_send({{"inst-A", 500}, false, true, {{"web", 10}}}));
  ASSERT_TRUE(link.acked({1, {}, 0, ""}, clock.now()));
  EXPECT_TRUE(link.may_send({{"inst-A", 500}, false, true, {{"web", 10}}}));
  auto end = link.sending({{"inst-A", 500}, false, true, {{"web", 10}}}, clock.now());
  // The first live batch after the snapshot waits for all of it.
  EXPECT_FALSE(link.may_send({{"inst-A", 501}, false, false, {{"web", 1}}}));
  ASSERT_TRUE(link.acked({end, {"inst-A", 500}, 0, ""}, clock.now()));
  EXPECT_TRUE(link.may_send({{"inst-A", 501}, false, false, {{"web", 1}}}));
}

TEST(BatchMerge, OnlyLiveBatchesOfOneInstanceMergeUpToTheCap) {
  BatchSummary a{{"inst-A", 10}, false, false, {{"web", 3}}};
  const BatchSummary b{{"inst-A", 14}, false, false, {{"web", 2}, {"api", 1}}};
  EXPECT_TRUE(mergeable(a, b, 6));
  EXPECT_FALSE(mergeable(a, b, 5));
  EXPECT_FALSE(mergeable(a, {{"inst-B", 14}, false, false, {}}, 100));
  EXPECT_FALSE(mergeable(a, {{}, false, false, {{"web", 1}}}, 100));                // inside a snapshot
  EXPECT_FALSE(mergeable(a, {{}, true, false, {{"web", 1}}}, 100));                 // a snapshot starts
  EXPECT_FALSE(mergeable(a, {{"inst-A", 20}, false, true, {{"web", 1}}}, 100));     // a snapshot ends
  EXPECT_FALSE(mergeable({{"inst-A", 20}, false, true, {{"web", 1}}}, b, 100));
  merge_into(a, b);
  EXPECT_EQ(a.cursor, (Cursor{"inst-A", 14}));
  EXPECT_EQ(entry_count(a), 6u);
  EXPECT_EQ(a.entries_per_table.at("web"), 5u);
  EXPECT_EQ(a.entries_per_table.at("api"), 1u);
  // A cursor-only batch (echoes filtered) merges too and moves the cursor.
  merge_into(a, {{"inst-A", 30}, false, false, {}});
  EXPECT_EQ(a.cursor.seq, 30u);
  EXPECT_EQ(entry_count(a), 6u);
}

TEST_F(OutboundLinkTest, SchemaMismatchIsDegradedWithBothDefinitionsAndNotShipped) {
  local.tables.push_back(TableSchema{"api", 4, 32, {}, 0});
  TableSchema other = web();
  other.data = {{1, 0}};
  auto plan = welcome({}, {other, TableSchema{"api", 4, 32, {}, 0}});
  EXPECT_EQ(plan.tables, std::vector<std::string>{"api"});
  auto s = link.status(clock.now());
  EXPECT_EQ(s.state, SyncState::degraded);
  EXPECT_EQ(table(s, "web").state, SyncState::degraded);
  EXPECT_EQ(table(s, "web").reason,
            "schema mismatch: here type ip store server_id,http_req_rate(10000ms), on lb2 type ip store server_id");
  EXPECT_EQ(table(s, "api").state, SyncState::syncing);
}

TEST_F(OutboundLinkTest, ATableThePeerLacksIsReported) {
  auto plan = welcome({}, {});
  EXPECT_TRUE(plan.tables.empty());
  auto s = link.status(clock.now());
  EXPECT_EQ(table(s, "web").reason,
            "schema mismatch: here type ip store server_id,http_req_rate(10000ms), on lb2 missing");
}

TEST_F(OutboundLinkTest, TheReceiversMismatchListIsHonoured) {
  link.dialing(clock.now());
  auto plan = link.welcomed(WelcomeView{"lb2", {}, {web()}, {{"web", "a", "b"}}}, local, clock.now());
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->tables.empty());
}

TEST_F(OutboundLinkTest, AWelcomeFromAnotherNodeIsRefused) {
  link.dialing(clock.now());
  auto plan = link.welcomed(WelcomeView{"lb3", {}, {web()}, {}}, local, clock.now());
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().message, "the peer says it is 'lb3', not 'lb2'");
}

TEST_F(OutboundLinkTest, HeartbeatsWhenQuietAndGivesUpOnASilentPeer) {
  welcome({"inst-A", 500});
  EXPECT_FALSE(link.tick(clock.now()).send_heartbeat);
  clock.advance(1000ms);
  EXPECT_TRUE(link.tick(clock.now()).send_heartbeat);
  link.said(clock.now());
  EXPECT_FALSE(link.tick(clock.now()).send_heartbeat);
  clock.advance(1999ms);
  EXPECT_FALSE(link.tick(clock.now()).give_up);
  clock.advance(1ms);
  auto t = link.tick(clock.now());
  ASSERT_TRUE(t.give_up);
  EXPECT_EQ(*t.give_up, "nothing heard from lb2 for 3000 ms");
  link.heard(clock.now());
  EXPECT_FALSE(link.tick(clock.now()).give_up);
}

TEST_F(OutboundLinkTest, GivesUpWithoutAWelcome) {
  link.dialing(clock.now());
  clock.advance(4999ms);
  EXPECT_FALSE(link.tick(clock.now()).give_up);
  clock.advance(1ms);
  EXPECT_TRUE(link.tick(clock.now()).give_up);
}

TEST_F(OutboundLinkTest, LostIsDegradedWithTheReasonAndBacksOff) {
  welcome({"inst-A", 500});
  link.sending({{"inst-A", 510}, false, false, {{"web", 10}}}, clock.now());
  EXPECT_EQ(link.lost("connection reset", clock.now(), zero), 100ms);  // half of 200 ms
  auto s = link.status(clock.now());
  EXPECT_EQ(s.state, SyncState::degraded);
  EXPECT_EQ(s.reason, "connection reset");
  EXPECT_EQ(table(s, "web").state, SyncState::degraded);
  EXPECT_FALSE(link.established());
  EXPECT_EQ(link.lost("refused", clock.now(), zero), 200ms);
  EXPECT_EQ(link.lost("refused", clock.now(), zero), 400ms);
  // A Welcome resets the backoff and the sequence of batch ids.
  welcome({"inst-A", 500});
  EXPECT_EQ(link.sending({}, clock.now()), 1u);
  EXPECT_EQ(link.lost("x", clock.now(), zero), 100ms);
}

TEST_F(OutboundLinkTest, RefusedEntriesAreCountedAndExplained) {
  welcome({"inst-A", 500});
  auto a = link.sending({{"inst-A", 510}, false, false, {{"web", 10}}}, clock.now());
  ASSERT_TRUE(link.acked({a, {"inst-A", 510}, 2, "entry 3: unknown server 'x'"}, clock.now()));
  auto s = link.status(clock.now());
  EXPECT_EQ(s.entries_refused, 2u);
  EXPECT_EQ(s.reason, "lb2's balancer refused 2 entries: entry 3: unknown server 'x'");
}

}  // namespace
}  // namespace tandem::peersync
