// Hosts the balancer's stick-table store and its stick services on a unix
// socket, without the proxy: StickTables (Watch/Apply/GetApplied/ListTables),
// the stick parts of Admin (ShowTable, ClearTable, SetTableEntry) and
// grpc.health.v1. It lets peersync's tests run against the real store and
// service code where a whole tandem-balancer is not needed (and measures
// peersync, not the proxy).
//   stick_host SOCKET NODE 'NAME stick-table type ip size 2m ... peers p' ...
// Runs until SIGTERM/SIGINT.
#include <csignal>
#include <iostream>
#include <random>
#include <thread>

#include "balancer/admin/stick_admin.h"
#include "balancer/admin/stick_tables_service.h"
#include "balancer/stick/stick_table_parser.h"
#include "balancer/stick/stick_time.h"
#include "common/config/lexer.h"
#include "common/grpc/admin_server.h"
#include "tandem/balancer/v1/admin.grpc.pb.h"

using namespace tandem;
using namespace tandem::balancer;
namespace pb = tandem::balancer::v1;

namespace {

std::atomic<bool> g_stop{false};

class StickAdmin final : public pb::Admin::Service {
 public:
  explicit StickAdmin(stick::StickRegistry& r) : reg_(r) {}
  grpc::Status ShowTable(grpc::ServerContext*, const pb::ShowTableRequest* req, pb::ShowTableResponse* resp) override {
    return admin::show_table(reg_, *req, now(), resp);
  }
  grpc::Status ClearTable(grpc::ServerContext*, const pb::ClearTableRequest* req,
                          pb::ClearTableResponse* resp) override {
    return admin::clear_table(reg_, *req, now(), resp);
  }
  grpc::Status SetTableEntry(grpc::ServerContext*, const pb::SetTableEntryRequest* req, pb::StickEntry* resp) override {
    return admin::set_table_entry(reg_, *req, now(), resp);
  }

 private:
  static stick::StickNow now() { return stick::stick_now(SystemClock::instance()); }
  stick::StickRegistry& reg_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: stick_host SOCKET NODE 'NAME stick-table ...'...\n";
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  std::mt19937_64 rng(std::random_device{}());
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(rng()));
  stick::StickRegistry reg({argv[2], id, 1u << 20});
  const auto now = stick::stick_now(SystemClock::instance());
  for (int i = 3; i < argc; ++i) {
    auto lines = config::lex(argv[i], "arg");
    if (!lines || lines->size() != 1 || lines->at(0).words.size() < 2) {
      std::cerr << "bad table: " << argv[i] << "\n";
      return 2;
    }
    config::Line l = lines->at(0);
    std::string name = l.words[0];
    l.words.erase(l.words.begin());
    auto def = stick::parse_stick_table(l, name);
    if (!def) {
      std::cerr << def.error().message << "\n";
      return 2;
    }
    if (auto t = reg.install(std::move(*def), rng(), now); !t) {
      std::cerr << t.error().message << "\n";
      return 2;
    }
  }
  admin::StickTablesService tables(reg, SystemClock::instance());
  StickAdmin adm(reg);
  auto server = AdminServer::start({.socket_path = argv[1], .services = {&tables, &adm}});
  if (!server) {
    std::cerr << server.error().message << "\n";
    return 1;
  }
  (*server)->health().set_status(grpc::health::v1::HealthCheckResponse::SERVING);
  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::signal(SIGINT, [](int) { g_stop = true; });
  std::cout << "ready " << id << std::endl;
  while (!g_stop) {
    reg.maintain(stick::stick_now(SystemClock::instance()));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  tables.shutdown();
  (*server)->shutdown(std::chrono::milliseconds(0));
  return 0;
}
