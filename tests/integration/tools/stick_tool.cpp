// A client of a balancer's admin socket for the replication tests and bench:
//   stick_tool fill SOCKET TABLE COUNT [FIRST] [SERVER]  SetTableEntry COUNT ip keys
//   stick_tool dump SOCKET TABLE                         every entry, one sorted line each
//   stick_tool clear SOCKET TABLE [KEY]                  ClearTable
//   stick_tool count SOCKET TABLE                        entries now
//   stick_tool wait SOCKET TABLE COUNT SECONDS           until the table holds COUNT entries
//   stick_tool push SOCKET TABLE COUNT FIRST NODE        writes COUNT ip keys as fast as the
//       balancer's Apply stream takes them, as if written on NODE now (server s1): a
//       writer faster than one SetTableEntry call per change, for throughput runs
//   stick_tool misbehave HOST:PORT NODE PEER CA CERT KEY KIND   a peer that breaks the protocol:
//       Hello as NODE to PEER's peersync (mutual TLS), then KIND: oversized (20000 entries in one
//       batch), unknown-table, backwards (batch ids going back), no-hello (a batch first),
//       malformed (an entry's bytes cut short), not-utf8 (a table name that is not UTF-8),
//       per-batch-acks (not a fault: an older sender, see the code); the
//       Hello declares the tests' table (web: type ip, store server_id,gpc0).
//       Prints the call's final status: "status CODE message"
//   stick_tool cluster SOCKET                        peersync's Cluster.GetClusterStatus as JSON
//   stick_tool latency WRITE_SOCKET READ_SOCKET TABLE RATE SECONDS
//       writes distinct keys on one node at RATE per second and watches the
//       other node's change log (StickTables.Watch) for each: prints
//       "sent N seen M write_s S write_rate W late L p50_ms X p99_ms Y max_ms Z" (W: the rate
//       reached; L: writes started over 1 ms late; two writer threads share the schedule);
//       with a 7th argument `split` it also watches the writing node and adds "local_seen local_p50_ms local_p99_ms local_max_ms"
//       (how long its own change log took), to tell that from the hop between nodes
// Exit status 0 on success, 1 with a message on stderr otherwise.
#include <arpa/inet.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <fstream>
#include <sstream>
#include "tandem/balancer/v1/admin.grpc.pb.h"
#include "tandem/balancer/v1/stick_tables.grpc.pb.h"
#include "tandem/peersync/v1/cluster.grpc.pb.h"
#include "tandem/peersync/v1/peersync.grpc.pb.h"

namespace pb = tandem::balancer::v1;
using Steady = std::chrono::steady_clock;

namespace {

std::shared_ptr<grpc::Channel> channel(const std::string& socket) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(1 << 30);
  return grpc::CreateCustomChannel("unix:" + socket, grpc::InsecureChannelCredentials(), args);
}

std::string ip_text(std::uint32_t n) {
  in_addr a{htonl(n)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

std::string key_text(const pb::StickKey& k) {
  if (k.has_ip() && k.ip().size() == 4) {
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, k.ip().data(), buf, sizeof buf);
    return buf;
  }
  if (k.has_ip()) {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, k.ip().data(), buf, sizeof buf);
    return buf;
  }
  if (k.has_integer()) return std::to_string(k.integer());
  if (k.has_str()) return k.str();
  std::string hex;
  for (unsigned char c : k.binary()) {
    char b[3];
    std::snprintf(b, sizeof b, "%02x", c);
    hex += b;
  }
  return hex;
}

int die(const std::string& m) {
  std::cerr << "stick_tool: " << m << "\n";
  return 1;
}

const std::uint32_t kBase = 0x0a000000;  // 10.0.0.0

int fill(const std::string& socket, const std::string& table, std::uint32_t count, std::uint32_t first,
         const std::string& server) {
  auto stub = pb::Admin::NewStub(channel(socket));
  for (std::uint32_t i = 0; i < count; ++i) {
    grpc::ClientContext ctx;
    pb::SetTableEntryRequest req;
    req.set_table(table);
    req.set_key(ip_text(kBase + first + i));
    req.set_server_name(server);
    pb::StickEntry resp;
    auto st = stub->SetTableEntry(&ctx, req, &resp);
    if (!st.ok()) return die("SetTableEntry " + req.key() + ": " + st.error_message());
  }
  return 0;
}

int show(const std::string& socket, const std::string& table, pb::ShowTableResponse* resp) {
  auto stub = pb::Admin::NewStub(channel(socket));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  pb::ShowTableRequest req;
  req.set_table(table);
  auto st = stub->ShowTable(&ctx, req, resp);
  if (!st.ok()) return die("ShowTable: " + st.error_message());
  return 0;
}

// Server and stored values: what must be identical on both nodes. Expiry
// (each node's own) and the reporting node's seq are left out; the origin
// is kept: it is what last-writer-wins decided.
int dump(const std::string& socket, const std::string& table) {
  pb::ShowTableResponse resp;
  if (int r = show(socket, table, &resp)) return r;
  std::vector<std::string> lines;
  lines.reserve(resp.entries_size());
  for (const auto& e : resp.entries()) {
    std::string l = key_text(e.key()) + " server=" + e.server_name() + " origin=" + e.origin_node() + "@" +
                    std::to_string(e.origin_unix_us());
    for (const auto& d : e.data()) {
      if (d.has_rate()) continue;  // a rate's value depends on when it is read
      l += " " + std::to_string(d.type()) + "=" + std::to_string(d.value());
    }
    lines.push_back(std::move(l));
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

int clear(const std::string& socket, const std::string& table, const std::string& key) {
  auto stub = pb::Admin::NewStub(channel(socket));
  grpc::ClientContext ctx;
  pb::ClearTableRequest req;
  req.set_table(table);
  req.set_key(key);
  pb::ClearTableResponse resp;
  auto st = stub->ClearTable(&ctx, req, &resp);
  if (!st.ok()) return die("ClearTable: " + st.error_message());
  std::cout << resp.removed() << "\n";
  return 0;
}

std::int64_t entries(pb::StickTables::Stub& stub, const std::string& table) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  pb::ListTablesResponse resp;
  if (!stub.ListTables(&ctx, {}, &resp).ok()) return -1;
  for (const auto& t : resp.tables())
    if (t.name() == table) return static_cast<std::int64_t>(t.entries());
  return -1;
}

std::int64_t entries(const std::string& socket, const std::string& table) {
  return entries(*pb::StickTables::NewStub(channel(socket)), table);
}

int wait_for(const std::string& socket, const std::string& table, std::int64_t count, double seconds) {
  auto end = Steady::now() + std::chrono::duration<double>(seconds);
  std::int64_t n = -1;
  // One channel for every poll, polled often: the resync bench times with it
  // (a process per poll cost the machine ~9 ms of CPU each time).
  auto stub = pb::StickTables::NewStub(channel(socket));
  while (Steady::now() < end) {
    n = entries(*stub, table);
    if (n == count) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return die("table " + table + " holds " + std::to_string(n) + " entries, not " + std::to_string(count));
}

// One Watch stream's view of the probe keys: when each was written, when seen.
struct Probe {
  std::unordered_map<std::string, Steady::time_point> sent;
  std::vector<double> lat;
  double pct(double p) const { return lat.empty() ? -1.0 : lat[std::min(lat.size() - 1, size_t(p * lat.size()))]; }
};

int latency(const std::string& wsock, const std::string& rsock, const std::string& table, double rate, double seconds,
            bool split) {
  // Watch the reading node (and with `split` the writing node too, to tell
  // the writer's change log from the hop between nodes) from its head: only
  // what arrives from now on.
  std::vector<std::string> socks{rsock};
  if (split) socks.push_back(wsock);
  std::mutex mu;
  std::vector<Probe> probes(socks.size());
  std::vector<std::unique_ptr<grpc::ClientContext>> ctxs;
  std::vector<std::thread> watchers;
  for (std::size_t i = 0; i < socks.size(); ++i) {
    auto stub = pb::StickTables::NewStub(channel(socks[i]));
    pb::ListTablesResponse lt;
    {
      grpc::ClientContext ctx;
      if (!stub->ListTables(&ctx, {}, &lt).ok()) return die("ListTables on " + socks[i]);
    }
    ctxs.push_back(std::make_unique<grpc::ClientContext>());
    watchers.emplace_back([&, i, stub = std::move(stub), head = lt.head()] {
      pb::WatchRequest req;
      *req.mutable_from() = head;
      req.add_tables(table);
      auto w = stub->Watch(ctxs[i].get(), req);
      pb::WatchBatch b;
      Probe& pr = probes[i];
      while (w->Read(&b)) {
        auto now = Steady::now();
        std::lock_guard lock(mu);
        for (const auto& e : b.entries()) {
          auto it = pr.sent.find(key_text(e.key()));
          if (it == pr.sent.end()) continue;
          pr.lat.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
          pr.sent.erase(it);
        }
      }
    });
  }
  // The writers: kWriters threads share the schedule (write i is due at
  // i/RATE and goes from thread i % kWriters), each waiting for its call's
  // answer. One thread alone reached only ~7k/s at 10k/s asked: each
  // SetTableEntry is a round trip (~140 us on a busy 2-core machine), so the
  // rate was the client's, not the balancer's.
  constexpr unsigned kWriters = 2;
  auto wstub = pb::Admin::NewStub(channel(wsock));
  const auto total = static_cast<std::uint64_t>(rate * seconds);
  const auto start = Steady::now();
  const auto salt = static_cast<std::uint32_t>(start.time_since_epoch().count() & 0xffff) << 8;
  std::atomic<bool> failed{false};
  std::atomic<std::uint64_t> late{0};  // writes that began more than 1 ms after they were due
  std::vector<std::thread> writers;
  for (unsigned w = 0; w < kWriters; ++w)
    writers.emplace_back([&, w] {
      for (std::uint64_t i = w; i < total && !failed; i += kWriters) {
        auto due = start + std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(i / rate));
        std::this_thread::sleep_until(due);
        if (Steady::now() - due > std::chrono::milliseconds(1)) ++late;
        std::string key = ip_text(0x0b000000 + ((salt + i) & 0xffffff));
        {
          std::lock_guard lock(mu);
          for (Probe& pr : probes) pr.sent[key] = Steady::now();
        }
        grpc::ClientContext ctx;
        pb::SetTableEntryRequest req;
        req.set_table(table);
        req.set_key(key);
        pb::StickEntry resp;
        if (!wstub->SetTableEntry(&ctx, req, &resp).ok()) failed = true;
      }
    });
  for (auto& t : writers) t.join();
  if (failed) return die("SetTableEntry");
  const auto wrote = Steady::now();
  while (Steady::now() - wrote < std::chrono::seconds(5)) {
    {
      std::lock_guard lock(mu);
      if (std::all_of(probes.begin(), probes.end(), [](const Probe& p) { return p.sent.empty(); })) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& c : ctxs) c->TryCancel();
  for (auto& w : watchers) w.join();
  for (Probe& pr : probes) std::sort(pr.lat.begin(), pr.lat.end());
  const Probe& r = probes[0];
  const double write_s = std::chrono::duration<double>(wrote - start).count();
  std::printf("sent %llu seen %zu write_s %.3f write_rate %.0f late %llu p50_ms %.3f p99_ms %.3f max_ms %.3f",
              static_cast<unsigned long long>(total), r.lat.size(), write_s, total / write_s,
              static_cast<unsigned long long>(late.load()), r.pct(0.5), r.pct(0.99),
              r.lat.empty() ? -1.0 : r.lat.back());
  if (split) {
    const Probe& w = probes[1];
    std::printf(" local_seen %zu local_p50_ms %.3f local_p99_ms %.3f local_max_ms %.3f", w.lat.size(), w.pct(0.5),
                w.pct(0.99), w.lat.empty() ? -1.0 : w.lat.back());
  }
  std::printf("\n");
  return 0;
}

int push(const std::string& socket, const std::string& table, std::uint32_t count, std::uint32_t first,
         const std::string& node) {
  auto stub = pb::StickTables::NewStub(channel(socket));
  grpc::ClientContext ctx;
  auto stream = stub->Apply(&ctx);
  constexpr std::uint32_t kBatch = 1000;
  std::thread acks([&] {
    pb::ApplyAck a;
    while (stream->Read(&a))
      if (a.errors_size()) std::cerr << "stick_tool: " << a.errors(0) << "\n";
  });
  pb::ApplyBatch b;
  b.set_source_node("stick_tool");
  std::uint64_t seq = 0;
  for (std::uint32_t i = 0; i < count; i += kBatch) {
    b.clear_entries();
    const auto now_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    for (std::uint32_t j = i; j < std::min(count, i + kBatch); ++j) {
      auto* e = b.add_entries();
      e->set_table(table);
      const std::uint32_t ip = htonl(kBase + first + j);
      e->mutable_key()->set_ip(std::string(reinterpret_cast<const char*>(&ip), 4));
      e->set_server_name("s1");
      e->set_expire_in_ms(30 * 60 * 1000);
      e->set_origin_node(node);
      e->set_origin_unix_us(now_us);
    }
    b.mutable_source_cursor()->set_instance_id("stick_tool");
    b.mutable_source_cursor()->set_seq(++seq);
    if (!stream->Write(b)) break;
  }
  stream->WritesDone();
  acks.join();
  auto st = stream->Finish();
  if (!st.ok()) return die("Apply: " + st.error_message());
  return 0;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int misbehave(const std::string& addr, const std::string& node, const std::string& peer, const std::string& ca,
              const std::string& cert, const std::string& key, const std::string& kind) {
  namespace ppb = tandem::peersync::v1;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride(peer);
  args.SetMaxSendMessageSize(64 << 20);
  auto ch = grpc::CreateCustomChannel(addr, grpc::SslCredentials({slurp(ca), slurp(key), slurp(cert)}), args);
  auto stub = ppb::PeerSync::NewStub(ch);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->Replicate(&ctx);
  auto entry = [&](ppb::Batch* b, const std::string& table, std::uint32_t i) {
    pb::StickEntry se;
    auto* e = &se;
    e->set_table(table);
    const std::uint32_t ip = htonl(0x0c000000 + i);
    e->mutable_key()->set_ip(std::string(reinterpret_cast<const char*>(&ip), 4));
    e->set_server_name("s1");
    e->set_expire_in_ms(60000);
    e->set_origin_node(node);
    e->set_origin_unix_us(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
    se.SerializeToString(b->add_entries());  // Batch entries are serialized StickEntry bytes
  };
  ppb::ReplicateRequest req;
  ppb::ReplicateResponse resp;
  if (kind != "no-hello") {
    req.mutable_hello()->set_node(node);
    // The tests' table: web, type ip, store server_id,gpc0.
    auto* t = req.mutable_hello()->add_tables();
    t->set_name("web");
    t->set_key_type(pb::KEY_TYPE_IP);
    t->set_peers("p");
    t->add_data()->set_type(pb::DATA_TYPE_SERVER_ID);
    t->add_data()->set_type(pb::DATA_TYPE_GPC0);
    stream->Write(req);
    if (!stream->Read(&resp)) {
      auto st = stream->Finish();
      std::printf("status %d %s\n", st.error_code(), st.error_message().c_str());
      return 0;
    }
  }
  req.clear_hello();  // one body per message
  auto* b = req.mutable_batch();
  b->set_batch_id(5);
  if (kind == "oversized") {
    for (std::uint32_t i = 0; i < 20000; ++i) entry(b, "web", i);
  } else if (kind == "unknown-table") {
    entry(b, "web", 1);
    entry(b, "nosuchtable", 2);
  } else if (kind == "backwards") {
    stream->Write(req);  // batch 5, without entries
    b->clear_entries();
    b->set_batch_id(4);
    entry(b, "web", 2);
  } else if (kind == "malformed") {
    entry(b, "web", 1);
    b->add_entries()->assign("\x0a\x05we", 4);  // table: 5 bytes announced, 2 there
  } else if (kind == "not-utf8") {
    entry(b, "web\xff", 1);
  } else if (kind == "per-batch-acks") {
    // Not a fault: a sender without Hello.cumulative_acks (an older
    // peersync) sends 200 batches at once and must get one Ack per batch, in
    // order, each with that batch's cursor. Prints "acks N in-order|OUT-OF-ORDER".
    constexpr std::uint64_t kBatches = 200;
    for (std::uint64_t i = 0; i < kBatches; ++i) {
      b->clear_entries();
      b->set_batch_id(5 + i);
      b->mutable_cursor()->set_instance_id("old-sender");
      b->mutable_cursor()->set_seq(1 + i);
      entry(b, "web", static_cast<std::uint32_t>(100 + i));
      if (!stream->Write(req)) break;
    }
    std::uint64_t acks = 0;
    bool in_order = true;
    while (acks < kBatches && stream->Read(&resp)) {
      if (!resp.has_ack()) continue;
      in_order = in_order && resp.ack().batch_id() == 5 + acks && resp.ack().applied().seq() == 1 + acks;
      ++acks;
    }
    ctx.TryCancel();
    stream->Finish();
    std::printf("acks %llu %s\n", static_cast<unsigned long long>(acks), in_order ? "in-order" : "OUT-OF-ORDER");
    return 0;
  } else {
    entry(b, "web", 1);
  }
  stream->Write(req);
  stream->WritesDone();
  while (stream->Read(&resp)) {
  }
  auto st = stream->Finish();
  std::printf("status %d %s\n", st.error_code(), st.error_message().c_str());
  return 0;
}

int cluster(const std::string& socket) {
  auto stub = tandem::peersync::v1::Cluster::NewStub(channel(socket));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  tandem::peersync::v1::ClusterStatus resp;
  auto st = stub->GetClusterStatus(&ctx, {}, &resp);
  if (!st.ok()) return die("GetClusterStatus: " + st.error_message());
  std::string json;
  google::protobuf::util::JsonPrintOptions o;
  o.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(resp, &json, o);
  std::cout << json << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  auto usage = [] { return die("usage: see the comment at the top of stick_tool.cpp"); };
  if (a.empty()) return usage();
  if (a[0] == "fill" && a.size() >= 4)
    return fill(a[1], a[2], std::stoul(a[3]), a.size() > 4 ? std::stoul(a[4]) : 0, a.size() > 5 ? a[5] : "");
  if (a[0] == "dump" && a.size() == 3) return dump(a[1], a[2]);
  if (a[0] == "clear" && a.size() >= 3) return clear(a[1], a[2], a.size() > 3 ? a[3] : "");
  if (a[0] == "count" && a.size() == 3) {
    std::cout << entries(a[1], a[2]) << "\n";
    return 0;
  }
  if (a[0] == "wait" && a.size() == 5) return wait_for(a[1], a[2], std::stoll(a[3]), std::stod(a[4]));
  if (a[0] == "push" && a.size() == 6) return push(a[1], a[2], std::stoul(a[3]), std::stoul(a[4]), a[5]);
  if (a[0] == "misbehave" && a.size() == 8) return misbehave(a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
  if (a[0] == "cluster" && a.size() == 2) return cluster(a[1]);
  if (a[0] == "latency" && (a.size() == 6 || (a.size() == 7 && a[6] == "split")))
    return latency(a[1], a[2], a[3], std::stod(a[4]), std::stod(a[5]), a.size() == 7);
  return usage();
}
