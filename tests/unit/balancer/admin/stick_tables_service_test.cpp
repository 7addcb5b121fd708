// The StickTables service in-process over unix sockets: two balancers'
// registries ("nodes") with a minimal relay standing in for peersync
// (GetApplied -> Watch -> Apply). 100k entries converge to identical tables,
// both ways, and again after one node restarts as a new instance.
#include "balancer/admin/stick_tables_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <filesystem>
#include <map>
#include <thread>
#include <tuple>

#include "../stick/stick_test_util.h"
#include "balancer/stick/stick_registry.h"
#include "common/grpc/admin_server.h"

namespace tandem::balancer::admin {
namespace {

using namespace tandem::balancer::stick;
using namespace std::chrono_literals;
using stick::testing::table_def;
namespace pb = tandem::balancer::v1;

constexpr const char* kDef = "type ip size 300k expire 1h peers p store server_id,gpc0,http_req_rate(10s)";

// One balancer: a registry and the service on its admin socket.
struct Node {
  Node(std::string name, std::string instance, std::string socket, const Clock& clock)
      : name(name), socket(socket), clock(clock) {
    reg = std::make_unique<StickRegistry>(StickRegistry::Options{name, instance, 1u << 20});
    table = *reg->install(table_def(kDef, "web"), 99, stick_now(clock));
    service = std::make_unique<StickTablesService>(*reg, clock);
    auto s = AdminServer::start({.socket_path = socket, .services = {service.get()}});
    EXPECT_TRUE(s) << s.error().message;
    server = std::move(*s);
  }
  ~Node() {
    service->shutdown();  // ends Watch streams first, then the server stops at once
    server->shutdown(0ms);
  }
  StickNow now() const { return stick_now(clock); }

  std::string name, socket;
  const Clock& clock;
  std::unique_ptr<StickRegistry> reg;
  std::shared_ptr<StickTable> table;
  std::unique_ptr<StickTablesService> service;
  std::unique_ptr<AdminServer> server;
};

// What peersync does for one direction, minus the network between nodes.
class Relay {
 public:
  Relay(const Node& from, const Node& to)
      : from_name_(from.name), to_name_(to.name), from_(stub(from.socket)), to_(stub(to.socket)) {
    thread_ = std::thread([this] { run(); });
  }
  ~Relay() {
    watch_ctx_.TryCancel();
    apply_ctx_.TryCancel();
    thread_.join();
  }
  int errors() const { return errors_; }

 private:
  static std::unique_ptr<pb::StickTables::Stub> stub(const std::string& socket) {
    return pb::StickTables::NewStub(grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials()));
  }
  void run() {
    grpc::ClientContext ctx;
    pb::GetAppliedRequest q;
    q.set_source_node(from_name_);
    pb::WatchRequest w;
    if (!to_->GetApplied(&ctx, q, w.mutable_from()).ok()) return;
    w.set_peer_node(to_name_);
    auto reader = from_->Watch(&watch_ctx_, w);
    auto apply = to_->Apply(&apply_ctx_);
    pb::WatchBatch b;
    pb::ApplyBatch ab;
    pb::ApplyAck ack;
    while (reader->Read(&b)) {
      ab.Clear();
      ab.set_source_node(from_name_);
      *ab.mutable_source_cursor() = b.cursor();
      ab.mutable_entries()->Swap(b.mutable_entries());
      if (!apply->Write(ab) || !apply->Read(&ack)) break;
      errors_ += ack.errors_size();
      for (const auto& e : ack.errors()) ADD_FAILURE() << e;
    }
  }

  std::string from_name_, to_name_;
  std::unique_ptr<pb::StickTables::Stub> from_, to_;
  grpc::ClientContext watch_ctx_, apply_ctx_;
  std::atomic<int> errors_{0};
  std::thread thread_;
};

using Row = std::tuple<std::uint64_t, std::string, std::uint32_t, std::uint32_t, std::uint32_t, std::uint32_t,
                       std::string, std::int64_t>;

std::map<std::string, Row> dump(const Node& n) {
  std::map<std::string, Row> m;
  StickTable::ScanPos pos;
  ImageBatch b;
  while (!n.table->scan_done(pos)) n.table->scan(pos, 4096, n.now(), 0, b);
  for (const EntryImage& e : b.entries) {
    std::uint64_t gpc0 = 0;
    RateState rate;
    for (const DatumImage& d : b.datums(e)) {
      if (d.type == DataType::gpc0) gpc0 = d.value;
      if (d.type == DataType::http_req_rate) rate = d.rate;
    }
    m[format_key_text(n.table->key_format(), b.key(e))] =
        Row{gpc0,           std::string(n.table->server_name(e.server)), rate.current, rate.previous, rate.age_ms,
            e.expire_in_ms, std::string(n.reg->nodes().name(e.origin)),  e.origin_us};
  }
  return m;
}

// Both directions acknowledged up to the other's log head.
bool caught_up(Node& a, Node& b) {
  a.reg->collect();
  b.reg->collect();
  return b.reg->applied(a.name) == Cursor{a.reg->instance_id(), a.reg->log().head()} &&
         a.reg->applied(b.name) == Cursor{b.reg->instance_id(), b.reg->log().head()};
}

bool wait_caught_up(Node& a, Node& b) {
  for (auto deadline = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < deadline;) {
    if (caught_up(a, b)) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

KeyBuf ip_key(std::uint32_t i) {
  KeyBuf k;
  std::uint8_t a[4] = {10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                       static_cast<std::uint8_t>(i)};
  key_from_ipv4(KeyFormat{KeyType::ip, 4}, a, k);
  return k;
}

class StickTablesServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem-stick-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string sock(const char* n) { return (dir_ / n).string(); }

  std::filesystem::path dir_;
  ManualClock clock_;  // frozen: both nodes see the same instant, so dumps compare exactly
};

TEST_F(StickTablesServiceTest, TwoNodesConvergeAndARestartedNodeIsTaughtEverything) {
  Node a("lbA", "a1", sock("a.sock"), clock_);
  auto b = std::make_unique<Node>("lbB", "b1", sock("b.sock"), clock_);
  auto s1 = a.table->server_ref("s1", 1), s2 = a.table->server_ref("s2", 2);

  constexpr std::uint32_t kEntries = 100000;
  {
    Relay ab(a, *b), ba(*b, a);
    for (std::uint32_t i = 0; i < kEntries; ++i) {
      KeyBuf k = ip_key(i);
      a.table->inc_gpc(k.view(), 0, a.now());
      a.table->store_server(k.view(), i % 2 ? *s1 : *s2, a.now());
      if (i % 10 == 0) {
        StickRef r = a.table->track(k.view(), a.now());
        a.table->count(r, StickEvent::http_request, 3, a.now());
        a.table->untrack(r, a.now());
      }
    }
    ASSERT_TRUE(wait_caught_up(a, *b));
    // B writes too, while A deletes: updates of A's keys, keys of its own.
    for (std::uint32_t i = 0; i < 10000; ++i) b->table->inc_gpc(ip_key(i * 7).view(), 0, b->now());
    for (std::uint32_t i = 0; i < 1000; ++i) b->table->inc_gpc(ip_key(kEntries + i).view(), 0, b->now());
    // Deletes of keys B does not write (50000 + 7i + 2 is never a multiple of
    // 7; a concurrent write could win: that
    // is last-writer-wins, checked by the dumps being equal, not the count).
    for (std::uint32_t i = 0; i < 100; ++i) EXPECT_TRUE(a.table->erase(ip_key(50000 + i * 7 + 2).view(), a.now()));
    ASSERT_TRUE(wait_caught_up(a, *b));
    for (std::uint32_t i = 0; i < 100; ++i) EXPECT_TRUE(b->table->erase(ip_key(60000 + i * 7 + 2).view(), b->now()));
    ASSERT_TRUE(wait_caught_up(a, *b));
    EXPECT_EQ(ab.errors() + ba.errors(), 0);
  }
  auto da = dump(a);
  EXPECT_EQ(da.size(), kEntries + 1000 - 200);
  EXPECT_EQ(da, dump(*b));
  EXPECT_EQ(std::get<6>(da["10.0.0.7"]), "lbB");  // B's write won, and kept its origin on A
  EXPECT_EQ(std::get<0>(da["10.0.0.7"]), 2u);

  // B restarts: a new instance with an empty table. A changes meanwhile.
  b.reset();
  for (std::uint32_t i = 0; i < 500; ++i) a.table->inc_gpc(ip_key(i).view(), 0, a.now());
  b = std::make_unique<Node>("lbB", "b2", sock("b.sock"), clock_);
  EXPECT_TRUE(b->reg->applied("lbA").empty());
  {
    Relay ab(a, *b), ba(*b, a);
    ASSERT_TRUE(wait_caught_up(a, *b));
  }
  da = dump(a);
  EXPECT_EQ(da.size(), kEntries + 1000 - 200);
  EXPECT_EQ(da, dump(*b));
}

TEST_F(StickTablesServiceTest, ListTablesAndBadWatches) {
  Node a("lbA", "a1", sock("a.sock"), clock_);
  a.table->inc_gpc(ip_key(1).view(), 0, a.now());
  auto stub = pb::StickTables::NewStub(grpc::CreateChannel("unix:" + a.socket, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  pb::ListTablesResponse resp;
  ASSERT_TRUE(stub->ListTables(&ctx, pb::ListTablesRequest(), &resp).ok());
  EXPECT_EQ(resp.instance_id(), "a1");
  EXPECT_EQ(resp.node(), "lbA");
  ASSERT_EQ(resp.tables_size(), 1);
  EXPECT_EQ(resp.tables(0).name(), "web");
  EXPECT_EQ(resp.tables(0).entries(), 1u);
  EXPECT_EQ(resp.tables(0).last_seq(), 1u);
  EXPECT_EQ(resp.head().seq(), 1u);
  ASSERT_EQ(resp.tables(0).data_size(), 3);

  grpc::ClientContext wctx;
  pb::WatchRequest w;
  w.add_tables("nope");
  auto reader = stub->Watch(&wctx, w);
  pb::WatchBatch batch;
  EXPECT_FALSE(reader->Read(&batch));
  auto st = reader->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "unknown stick table 'nope'");

  // An Apply with broken entries: each refused with why, the rest applied.
  grpc::ClientContext actx;
  auto apply = stub->Apply(&actx);
  pb::ApplyBatch ab;
  ab.set_source_node("lbB");
  ab.mutable_source_cursor()->set_instance_id("b1");
  ab.mutable_source_cursor()->set_seq(5);
  auto* e = ab.add_entries();
  e->set_table("web");
  e->mutable_key()->set_ip(std::string("\x0a\0\0\x09", 4));
  e->set_origin_node("lbB");
  e->set_origin_unix_us(1);
  e->set_expire_in_ms(1000);
  e = ab.add_entries();
  e->set_table("web");
  e->mutable_key()->set_str("x");
  e = ab.add_entries();
  e->set_table("other");
  ASSERT_TRUE(apply->Write(ab));
  pb::ApplyAck ack;
  ASSERT_TRUE(apply->Read(&ack));
  EXPECT_EQ(ack.applied_count(), 1u);
  ASSERT_EQ(ack.errors_size(), 2);
  EXPECT_EQ(ack.errors(0), "entry 1: a ip table needs an ip key");
  EXPECT_EQ(ack.errors(1), "entry 2: unknown stick table 'other'");
  EXPECT_EQ(ack.applied().seq(), 5u);
  apply->WritesDone();
  EXPECT_TRUE(apply->Finish().ok());
  EXPECT_EQ(a.reg->applied("lbB"), (Cursor{"b1", 5}));
}

}  // namespace
}  // namespace tandem::balancer::admin
