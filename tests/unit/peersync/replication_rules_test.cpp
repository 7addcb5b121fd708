// The receiving gate, schema comparison and backoff.
#include <gtest/gtest.h>

#include "peersync/replication/backoff.h"
#include "peersync/replication/inbound_gate.h"
#include "peersync/replication/peer_names.h"
#include "peersync/replication/schema.h"

namespace tandem::peersync {
namespace {

using namespace std::chrono_literals;

TEST(AdmitPeer, Cases) {
  struct Case {
    const char* node;
    bool tls;
    std::vector<std::string> names;
    const char* want;  // "" = admitted
  } cases[] = {
      {"lb2", true, {"lb2"}, ""},
      {"lb2", true, {"lb2.example", "lb2"}, ""},
      {"lb2", false, {}, ""},
      {"lb3", false, {}, "'lb3' is not a configured peer"},
      {"", true, {"lb2"}, "Hello without a node name"},
      {"lb2", true, {"lb3"}, "the certificate names lb3, not 'lb2'"},
      {"lb2", true, {}, "the certificate names nothing, not 'lb2'"},
  };
  for (const auto& c : cases) {
    auto r = admit_peer(c.node, {"lb2"}, c.tls, c.names);
    EXPECT_EQ(r ? std::string() : r.error().message, c.want) << c.node;
  }
}

TEST(InboundGate, AcceptsOrderedBatchesOfAgreedTables) {
  InboundGate g("lb1", {"web"}, {});
  EXPECT_TRUE(g.check({1, {}, true, false, {{"web", "lb1", 4}}}));
  EXPECT_TRUE(g.check({2, {"i", 10}, false, true, {{"web", "lb2", 4}}}));
  EXPECT_TRUE(g.check({3, {"i", 10}, false, false, {}}));
  EXPECT_TRUE(g.check({4, {"i", 12}, false, false, {}}));
}

TEST(InboundGate, Refusals) {
  struct Case {
    BatchView batch;
    const char* want;
  } cases[] = {
      {{5, {"i", 9}, false, false, {}}, "batch 5 goes back from seq 10 to 9"},
      {{1, {"i", 11}, false, false, {}}, "batch 1 after batch 4"},
      {{5, {"i", 11}, false, false, {{"web", "lb1", 4}, {"api", "lb1", 4}}},
       "batch 5 entry 1: table 'api' is not replicated with lb1"},
      {{5, {"i", 11}, false, false, {{"web", "", 4}}}, "batch 5 entry 0: no origin node"},
      {{5, {"i", 11}, false, false, {{"web", "lb1", 5000}}}, "batch 5 entry 0: key of 5000 bytes"},
      {{5, {"i", 11}, false, false, std::vector<EntryView>(3, EntryView{"web", "lb1", 4})},
       "batch 5 has 3 entries, more than 2"},
  };
  for (const auto& c : cases) {
    InboundGate g("lb1", {"web"}, {.max_entries_per_batch = 2, .max_key_bytes = 1024});
    ASSERT_TRUE(g.check({4, {"i", 10}, false, false, {}}));
    auto r = g.check(c.batch);
    ASSERT_FALSE(r) << c.want;
    EXPECT_EQ(r.error().message, c.want);
    // A refused batch moves nothing: the next good one is still accepted.
    EXPECT_TRUE(g.check({5, {"i", 10}, false, false, {}}));
  }
}

TEST(InboundGate, ANewInstanceMayStartLower) {
  InboundGate g("lb1", {"web"}, {});
  ASSERT_TRUE(g.check({1, {"old", 1000}, false, false, {}}));
  EXPECT_TRUE(g.check({2, {"new", 3}, false, false, {}}));
}

TEST(Schema, ComparesKeyLengthAndDataButNotSizeOrExpiry) {
  TableSchema a{"t", 4, 32, {{1, 0}}, 10};
  TableSchema b = a;
  b.entries = 99;
  EXPECT_TRUE(compare_schemas({a}, {b}).empty());
  b.key_len = 64;
  auto m = compare_schemas({a}, {b});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].local, "type string len 32 store server_id");
  EXPECT_EQ(m[0].remote, "type string len 64 store server_id");
  b = a;
  b.data = {{12, 10000}};
  EXPECT_EQ(compare_schemas({a}, {b}).size(), 1u);
  b = a;
  b.key_type = 5;
  EXPECT_EQ(compare_schemas({a}, {b}).size(), 1u);
}

TEST(Schema, MissingOnEitherSide) {
  TableSchema a{"a", 1, 0, {}, 0}, b{"b", 3, 0, {}, 0};
  auto m = compare_schemas({a}, {b});
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].table, "a");
  EXPECT_EQ(m[0].remote, "missing");
  EXPECT_EQ(m[1].table, "b");
  EXPECT_EQ(m[1].local, "missing");
  EXPECT_EQ(m[1].remote, "type integer");
}

TEST(Backoff, DoublesToTheCapWithJitterInTheUpperHalf) {
  Backoff b(100ms, 1000ms);
  std::uint64_t draw = 0;
  RandomSource r = [&] { return draw; };
  EXPECT_EQ(b.next(r), 50ms);
  EXPECT_EQ(b.next(r), 100ms);
  EXPECT_EQ(b.next(r), 200ms);
  EXPECT_EQ(b.next(r), 400ms);
  EXPECT_EQ(b.next(r), 500ms);  // capped at 1000: half of it
  draw = 500;                   // the top of [500, 1000]
  EXPECT_EQ(b.next(r), 1000ms);
  b.reset();
  draw = 50;
  EXPECT_EQ(b.next(r), 100ms);
}

}  // namespace
}  // namespace tandem::peersync

namespace tandem::peersync {
namespace {

TEST(PeerNames, TheSameNamesOnBothSidesAgree) {
  EXPECT_TRUE(compare_peer_names("lb1", {"lb2"}, {{"p", {"lb1", "lb2"}, false}}, {"p"}).empty());
}

TEST(PeerNames, ANameOnOneSideOnlyIsReported) {
  auto out = compare_peer_names("lb1", {"lb2", "lb4"}, {{"p", {"lb1", "lb2", "lb3"}, false}}, {"p"});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "the balancer's peers section 'p' names 'lb3', which peersync.conf has no peer for");
  EXPECT_EQ(out[1], "peersync.conf peer 'lb4' is missing from the balancer's peers section 'p'");
}

TEST(PeerNames, TheNodeMustBeInTheSection) {
  auto out = compare_peer_names("lb1", {"lb2"}, {{"p", {"lbx", "lb2"}, false}}, {"p"});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "the balancer's peers section 'p' does not name this node 'lb1' (peersync.conf node)");
  EXPECT_EQ(out[1], "the balancer's peers section 'p' names 'lbx', which peersync.conf has no peer for");
}

TEST(PeerNames, UnusedAndDisabledSectionsAreNotCompared) {
  EXPECT_TRUE(compare_peer_names("lb1", {"lb2"},
                                 {{"p", {"lb1", "lb2"}, false}, {"unused", {"zz"}, false}, {"off", {"yy"}, true}},
                                 {"p", "off"})
                  .empty());
}

TEST(PeerNames, ATableNamingAnUnreportedSectionIsReported) {
  auto out = compare_peer_names("lb1", {"lb2"}, {{"p", {"lb1", "lb2"}, false}}, {"p", "q"});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "a replicated table names peers section 'q', which the balancer does not report");
  // A balancer that reports no section at all (older): nothing to compare.
  EXPECT_TRUE(compare_peer_names("lb1", {"lb2"}, {}, {"p"}).empty());
}

}  // namespace
}  // namespace tandem::peersync
