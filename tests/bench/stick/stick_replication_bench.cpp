// Replication throughput of the balancer's side of the contract:
//  1. snapshot of 1M entries, in the core (StickWatch) and serialized to
//     WatchBatch protobufs: what a full resync costs the sending balancer;
//  2. full resync end to end between two balancers (registry + StickTables
//     service each, on unix sockets) through a relay that does what peersync
//     will (GetApplied -> Watch -> Apply), minus the network between nodes;
//  3. live changes per second a Watch stream carries (and Apply stores) while
//     a writer changes distinct keys as fast as it can;
//  4. latency of one change, A's data path to B's table, through the relay.
//
//   bench_stick_replication [ENTRIES]
#include <google/protobuf/arena.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

#include "balancer/admin/stick_codec.h"
#include "balancer/admin/stick_tables_service.h"
#include "balancer/stick/stick_table_parser.h"
#include "balancer/stick/stick_time.h"
#include "balancer/stick/stick_watch.h"
#include "common/config/lexer.h"
#include "common/grpc/admin_server.h"

using namespace tandem;
using namespace tandem::balancer::stick;
using namespace std::chrono_literals;
namespace pb = tandem::balancer::v1;
using Clock_ = std::chrono::steady_clock;

namespace {

double secs(Clock_::duration d) { return std::chrono::duration<double>(d).count(); }

// An arena with a kept first block, as the service uses per stream.
struct BatchArena {
  BatchArena() : block(new char[kBlock]), arena(options(block.get())) {}
  static constexpr std::size_t kBlock = 4u << 20;
  static google::protobuf::ArenaOptions options(char* b) {
    google::protobuf::ArenaOptions o;
    o.initial_block = b;
    o.initial_block_size = kBlock;
    return o;
  }
  std::unique_ptr<char[]> block;
  google::protobuf::Arena arena;
};

struct Node {
  Node(std::string name, std::string instance, std::string socket) : name(name), socket(socket) {
    reg = std::make_unique<StickRegistry>(StickRegistry::Options{name, instance, 1u << 20});
    auto lines = config::lex("stick-table type ip size 2m expire 30m peers p store server_id,http_req_rate(10s)", "b");
    table = *reg->install(*parse_stick_table(lines->at(0), "web"), 5, now());
    service = std::make_unique<balancer::admin::StickTablesService>(*reg, SystemClock::instance());
    server = std::move(*AdminServer::start({.socket_path = socket, .services = {service.get()}}));
  }
  ~Node() {
    service->shutdown();
    server->shutdown(0ms);
  }
  StickNow now() const { return stick_now(SystemClock::instance()); }
  std::string name, socket;
  std::unique_ptr<StickRegistry> reg;
  std::shared_ptr<StickTable> table;
  std::unique_ptr<balancer::admin::StickTablesService> service;
  std::unique_ptr<AdminServer> server;
};

// peersync's job for one direction, without the network between nodes.
class Relay {
 public:
  Relay(const Node& from, const Node& to) : from_name_(from.name), to_name_(to.name) {
    auto ch = [](const std::string& s) {
      grpc::ChannelArguments args;
      args.SetMaxReceiveMessageSize(64 << 20);
      return grpc::CreateCustomChannel("unix:" + s, grpc::InsecureChannelCredentials(), args);
    };
    from_ = pb::StickTables::NewStub(ch(from.socket));
    to_ = pb::StickTables::NewStub(ch(to.socket));
    thread_ = std::thread([this] { run(); });
  }
  ~Relay() {
    watch_ctx_.TryCancel();
    apply_ctx_.TryCancel();
    thread_.join();
  }
  std::atomic<std::uint64_t> entries{0};
  std::atomic<bool> snapshot_done{false};
  Clock_::time_point snapshot_end_at;

 private:
  void run() {
    grpc::ClientContext ctx;
    pb::GetAppliedRequest q;
    q.set_source_node(from_name_);
    pb::WatchRequest w;
    if (!to_->GetApplied(&ctx, q, w.mutable_from()).ok()) return;
    w.set_peer_node(to_name_);
    w.set_max_batch(4096);
    auto reader = from_->Watch(&watch_ctx_, w);
    auto apply = to_->Apply(&apply_ctx_);
    pb::ApplyAck ack;
    // Pipelined as peersync would: acks are read on another thread.
    std::thread acks([&] {
      while (apply->Read(&ack)) {
      }
    });
    auto mem = std::make_unique<BatchArena>();
    while (true) {
      mem->arena.Reset();
      auto& b = *google::protobuf::Arena::CreateMessage<pb::WatchBatch>(&mem->arena);
      auto& ab = *google::protobuf::Arena::CreateMessage<pb::ApplyBatch>(&mem->arena);
      if (!reader->Read(&b)) break;
      const bool end = b.snapshot_end();
      const auto n = b.entries_size();
      ab.set_source_node(from_name_);
      *ab.mutable_source_cursor() = b.cursor();
      ab.mutable_entries()->Swap(b.mutable_entries());  // same arena: pointers only
      if (!apply->Write(ab)) break;
      entries += n;
      if (end) {
        snapshot_end_at = Clock_::now();
        snapshot_done = true;
      }
    }
    apply->WritesDone();
    acks.join();
  }
  std::string from_name_, to_name_;
  std::unique_ptr<pb::StickTables::Stub> from_, to_;
  grpc::ClientContext watch_ctx_, apply_ctx_;
  std::thread thread_;
};

void fill(Node& n, std::uint32_t entries) {
  auto s1 = *n.table->server_ref("s1", 1);
  StickNow now = n.now();
  for (std::uint32_t i = 0; i < entries; ++i) {
    std::uint8_t ip[4] = {10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                          static_cast<std::uint8_t>(i)};
    n.table->store_server(KeyView{ip, 4}, s1, now);
    StickRef r = n.table->track(KeyView{ip, 4}, now);
    n.table->count(r, StickEvent::http_request, 1, now);
    n.table->untrack(r, now);
    if (i % 10000 == 0) n.reg->collect();
  }
  n.reg->collect();
}

bool wait_for(const std::function<bool()>& cond, std::chrono::seconds limit) {
  for (auto end = Clock_::now() + limit; Clock_::now() < end; std::this_thread::sleep_for(1ms))
    if (cond()) return true;
  return cond();
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint32_t entries = argc > 1 ? static_cast<std::uint32_t>(std::atol(argv[1])) : 1'000'000;
  auto dir = std::filesystem::temp_directory_path() / ("tandem-bench-stick-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  int rc = 0;
  {
    Node a("lbA", "a1", (dir / "a.sock").string());
    fill(a, entries);
    std::printf("# stick-table replication, %u ip entries (server_id, http_req_rate(10s))\n", entries);

    // 1. Snapshot on the sending side.
    for (bool serialize : {false, true}) {
      auto w = *StickWatch::create(*a.reg, WatchParams{{}, {}, "lbB", 4096});
      WatchOutput out;
      auto mem = std::make_unique<BatchArena>();
      std::string wire;
      std::size_t n = 0, bytes = 0;
      auto t0 = Clock_::now();
      while (w->next(out, a.now())) {
        n += out.images.entries.size();
        if (serialize) {
          mem->arena.Reset();
          auto* batch = google::protobuf::Arena::CreateMessage<pb::WatchBatch>(&mem->arena);
          balancer::admin::to_proto(out, a.reg->nodes(), batch);
          batch->SerializeToString(&wire);
          bytes += wire.size();
        }
        if (out.snapshot_end) break;
      }
      double s = secs(Clock_::now() - t0);
      std::printf("snapshot %-26s %8zu entries in %.3f s  (%.0f entries/s%s)\n",
                  serialize ? "(core + protobuf):" : "(core copy only):", n, s, n / s,
                  serialize ? (", " + std::to_string(bytes / n) + " B/entry").c_str() : "");
    }

    // 2. Full resync into a freshly started node.
    {
      Node b("lbB", "b1", (dir / "b.sock").string());
      auto t0 = Clock_::now();
      Relay ab(a, b);
      bool ok = wait_for([&] { return ab.snapshot_done.load() && b.table->entries() == entries; }, 120s);
      double s = secs(Clock_::now() - t0);
      std::printf("full resync A -> B over gRPC:  %8llu entries in %.3f s  (%s; snapshot streamed in %.3f s)\n",
                  static_cast<unsigned long long>(b.table->entries()), s, ok ? "complete" : "INCOMPLETE",
                  ab.snapshot_done ? secs(ab.snapshot_end_at - t0) : -1.0);
      if (!ok) rc = 1;

      // 3. Live changes: a writer on A, distinct keys round-robin.
      std::atomic<bool> stop{false};
      std::atomic<std::uint64_t> written{0};
      const std::uint64_t before = ab.entries.load();
      std::thread writer([&] {
        std::uint32_t i = 0;
        while (!stop) {
          std::uint8_t ip[4] = {10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                                static_cast<std::uint8_t>(i)};
          a.table->touch(KeyView{ip, 4}, a.now());  // refreshing the expiry is a change to replicate
          ++written;
          i = (i + 1) % entries;
        }
      });
      auto t1 = Clock_::now();
      std::this_thread::sleep_for(3s);
      stop = true;
      writer.join();
      double s3 = secs(Clock_::now() - t1);
      std::this_thread::sleep_for(500ms);
      const std::uint64_t carried = ab.entries.load() - before;
      std::printf("live: writer %.0f changes/s on distinct keys; Watch+Apply carried %.0f entries/s\n", written / s3,
                  carried / s3);

      // 4. One change at a time, A -> B.
      std::vector<double> lat;
      auto s2 = *a.table->server_ref("s2", 2);
      for (int i = 0; i < 500; ++i) {
        std::uint8_t ip[4] = {11, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
        auto t = Clock_::now();
        a.table->store_server(KeyView{ip, 4}, s2, a.now());
        while (!b.table->lookup(KeyView{ip, 4}, b.now()) && Clock_::now() - t < 2s) std::this_thread::yield();
        lat.push_back(secs(Clock_::now() - t) * 1e3);
        std::this_thread::sleep_for(2ms);
      }
      std::sort(lat.begin(), lat.end());
      std::printf("one change A -> B (data path to peer's table): p50 %.3f ms, p90 %.3f ms, p99 %.3f ms\n",
                  lat[lat.size() / 2], lat[lat.size() * 9 / 10], lat[lat.size() * 99 / 100]);
    }
  }
  std::filesystem::remove_all(dir);
  return rc;
}
