// The gRPC side's pure helpers: configuration differences between two nodes,
// and the conversions the drivers feed the core with.
#include <gtest/gtest.h>

#include "peersync/replication/entry_wire.h"
#include "peersync/service/node_status.h"
#include "peersync/service/peer_book.h"
#include "peersync/service/proto_convert.h"

namespace tandem::peersync {
namespace {

namespace bpb = tandem::balancer::v1;
namespace ppb = tandem::peersync::v1;

ppb::ConfigFingerprint fingerprint(std::uint32_t vrid, std::vector<std::string> servers, bool gpc0) {
  ppb::ConfigFingerprint f;
  auto* v = f.add_vrrp();
  v->set_name("VI_1");
  v->set_vrid(vrid);
  v->add_vips("198.18.0.100/24");
  v->set_advert_interval_ms(1000);
  v->set_version(3);
  auto* t = f.add_tables();
  t->set_name("web");
  t->set_key_type(bpb::KEY_TYPE_IP);
  t->add_data()->set_type(bpb::DATA_TYPE_SERVER_ID);
  if (gpc0) t->add_data()->set_type(bpb::DATA_TYPE_GPC0);
  auto* b = f.add_backends();
  b->set_backend("app");
  for (auto& s : servers) b->add_servers(s);
  return f;
}

TEST(CompareFingerprints, SameConfigurationsAgreeWhateverTheServerOrder) {
  EXPECT_TRUE(compare_fingerprints(fingerprint(51, {"a", "b"}, false), fingerprint(51, {"b", "a"}, false)).empty());
}

TEST(CompareFingerprints, EachDifferenceInWords) {
  auto d = compare_fingerprints(fingerprint(51, {"a", "b"}, true), fingerprint(52, {"a"}, false));
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].what(), "backend app servers");
  EXPECT_EQ(d[0].local(), "a,b");
  EXPECT_EQ(d[0].peer(), "a");
  EXPECT_EQ(d[1].what(), "table web");
  EXPECT_EQ(d[1].local(), "type ip store server_id,gpc0");
  EXPECT_EQ(d[1].peer(), "type ip store server_id");
  EXPECT_EQ(d[2].what(), "vrrp VI_1 virtual_router_id");
  EXPECT_EQ(d[2].local(), "51");
  EXPECT_EQ(d[2].peer(), "52");
}

TEST(CompareFingerprints, MissingOnOneSide) {
  ppb::ConfigFingerprint empty;
  auto d = compare_fingerprints(empty, fingerprint(51, {"a"}, false));
  ASSERT_FALSE(d.empty());
  for (const auto& x : d) EXPECT_EQ(x.local(), "missing") << x.what();
}

TEST(CompareFingerprints, APartOneSideCouldNotReadIsNotCompared) {
  // The peer's balancer is down: its tables and backends are unknown, not
  // missing; its vrrpd answered, so VRRP is still compared.
  ppb::ConfigFingerprint down = fingerprint(52, {}, false);
  down.clear_tables();
  down.clear_backends();
  down.set_tables_unknown(true);
  down.set_backends_unknown(true);
  auto d = compare_fingerprints(fingerprint(51, {"a"}, true), down);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].what(), "vrrp VI_1 virtual_router_id");
  // And the other way round.
  EXPECT_EQ(compare_fingerprints(down, fingerprint(52, {"a"}, true)).size(), 0u);
}

TEST(ProtoConvert, SummarizeCountsEntriesPerTable) {
  ppb::WatchBatchWire b;
  for (const char* t : {"a", "a", "b", "a"}) {
    bpb::StickEntry e;
    e.set_table(t);
    e.set_server_name("s1");
    e.SerializeToString(b.add_entries());
  }
  b.set_snapshot_begin(true);
  b.mutable_cursor()->set_instance_id("i");
  b.mutable_cursor()->set_seq(9);
  auto s = summarize(b);
  EXPECT_EQ(s.entries_per_table.at("a"), 3u);
  EXPECT_EQ(s.entries_per_table.at("b"), 1u);
  EXPECT_TRUE(s.snapshot_begin);
  EXPECT_EQ(s.cursor, (Cursor{"i", 9}));
}

TEST(ProtoConvert, ViewOfABatchMeasuresKeys) {
  ppb::Batch b;
  b.set_batch_id(4);
  bpb::StickEntry e;
  e.set_table("web");
  e.set_origin_node("lb1");
  e.mutable_key()->set_str(std::string(300, 'x'));
  e.SerializeToString(b.add_entries());
  bpb::StickEntry e2;
  e2.mutable_key()->set_integer(5);
  e2.SerializeToString(b.add_entries());
  auto r = view_of(b);
  ASSERT_TRUE(r) << r.error().message;
  const auto& v = *r;
  ASSERT_EQ(v.entries.size(), 2u);
  EXPECT_EQ(v.entries[0].key_bytes, 300u);
  EXPECT_EQ(v.entries[0].table, "web");
  EXPECT_EQ(v.entries[1].key_bytes, 8u);
  EXPECT_TRUE(v.entries[1].origin_node.empty());
}

TEST(ProtoConvert, TheWireScanReadsWhatProtobufWrites) {
  bpb::StickEntry e;
  e.set_table("web");
  e.mutable_key()->set_ip(std::string("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16));
  e.set_server_name("s\xc3\xa9");
  auto* d = e.add_data();
  d->set_type(bpb::DATA_TYPE_GPC0);
  d->set_value(7);
  auto* rate = e.add_data();
  rate->mutable_rate()->set_period_ms(10000);
  rate->mutable_rate()->set_current(3);
  e.set_expire_in_ms(60000);
  e.set_origin_node("lb1");
  e.set_origin_unix_us(1'700'000'000'000'000);
  e.set_deleted(true);
  const std::string wire = e.SerializeAsString();
  auto f = scan_entry(wire);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->table, "web");
  EXPECT_EQ(f->origin_node, "lb1");
  EXPECT_EQ(f->key_bytes, 16u);
  // Every prefix cut inside a field is refused, never read past its end.
  for (std::size_t n = 1; n < wire.size(); ++n) {
    bpb::StickEntry parsed;
    if (!parsed.ParseFromString(wire.substr(0, n))) {
      EXPECT_FALSE(scan_entry(wire.substr(0, n))) << n;
    }
  }
}

TEST(ProtoConvert, OnlyTablesWithPeersReplicate) {
  google::protobuf::RepeatedPtrField<bpb::StickTableDef> defs;
  defs.Add()->set_name("local_only");
  auto* r = defs.Add();
  r->set_name("web");
  r->set_peers("p");
  r->set_key_type(bpb::KEY_TYPE_STRING);
  r->set_key_len(32);
  auto* d = r->add_data();
  d->set_type(bpb::DATA_TYPE_HTTP_REQ_RATE);
  d->set_period_ms(10000);
  auto t = replicated(defs);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].name, "web");
  EXPECT_EQ(t[0].key_len, 32u);
  ASSERT_EQ(t[0].data.size(), 1u);
  EXPECT_EQ(t[0].data[0], (DataSpec{12, 10000}));
}

TEST(PeerBookStatus, InboundLagIsTheAgeOfTheOldestBatchNotYetApplied) {
  auto where = parse_host_port("198.18.0.2:7400");
  ASSERT_TRUE(where);
  PeerBook book({config::Peer{"lb2", *where, "peersync.conf:3"}}, LinkTimers{});
  const auto wall = WallTime{} + std::chrono::seconds(1'700'000'000);
  const std::int64_t wall_us = std::chrono::duration_cast<std::chrono::microseconds>(wall.time_since_epoch()).count();
  auto lag = [&] {
    ppb::NodeStatus s;
    book.fill(&s, SteadyTime{}, wall);
    EXPECT_EQ(s.peers_size(), 1);
    return s.peers(0).inbound_lag_ms();
  };
  auto entry = book.find("lb2");
  EXPECT_EQ(lag(), 0);  // no stream
  {
    std::lock_guard lock(entry->mu);
    entry->inbound.connected = true;
  }
  EXPECT_EQ(lag(), 0);  // nothing waiting
  {
    std::lock_guard lock(entry->mu);
    entry->inbound.unapplied_since_us = wall_us - 42'500;
  }
  EXPECT_EQ(lag(), 42);
  {
    std::lock_guard lock(entry->mu);
    entry->inbound.unapplied_since_us = wall_us + 5'000;  // the peer's clock runs ahead
  }
  EXPECT_EQ(lag(), 0);
  {
    std::lock_guard lock(entry->mu);
    entry->inbound.unapplied_since_us = wall_us - 42'500;
    entry->inbound.connected = false;  // a stream that ended says nothing
  }
  EXPECT_EQ(lag(), 0);
}

}  // namespace
}  // namespace tandem::peersync
