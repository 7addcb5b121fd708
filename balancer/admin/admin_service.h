#pragma once
// tandem.balancer.v1.Admin on the balancer's admin socket: what the balancer
// is doing (status, frontends, backends, servers with their checks and
// counters) and the operator's levers (server state and weight). gRPC runs it
// on its own threads; it reads runtime atomics and takes the backend lock
// only to rebalance after a change.

#include <chrono>
#include <string>
#include <vector>

#include <functional>
#include <memory>

#include "balancer/admin/events.h"
#include "balancer/health/checker.h"
#include "balancer/proxy/generation.h"
#include "balancer/runtime/runtime.h"
#include "balancer/stick/stick_registry.h"
#include "tandem/balancer/v1/admin.grpc.pb.h"

namespace tandem::balancer::admin {

// Facts about the process the service reports.
struct ProcessInfo {
  std::string node;
  std::string instance_id;
  std::int64_t started_unix_ms = 0;
  std::vector<std::string> config_files;
  unsigned threads = 0;
};

class AdminService final : public tandem::balancer::v1::Admin::Service {
 public:
  // The configuration serving now (each call reads it once and holds it).
  using GenerationProvider = std::function<std::shared_ptr<proxy::Generation>()>;
  // Reloads the configuration files (on the daemon's control thread) and
  // says how it went: empty when it loaded, else the error (FILE:LINE: ...).
  using Reloader = std::function<std::string()>;

  AdminService(GenerationProvider generation, Reloader reload, EventBus& events, stick::StickRegistry& sticks,
               ProcessInfo info);

  // Readiness as grpc.health.v1 reports it, for GetStatus.
  void set_ready(bool ready, std::string reason);
  // A reload happened (by SIGHUP or Reload), for GetStatus.
  void note_reload(bool ok, std::string error, std::int64_t unix_ms);

  grpc::Status GetStatus(grpc::ServerContext*, const tandem::balancer::v1::GetStatusRequest*,
                         tandem::balancer::v1::BalancerStatus* out) override;
  grpc::Status ListFrontends(grpc::ServerContext*, const tandem::balancer::v1::ListFrontendsRequest*,
                             tandem::balancer::v1::ListFrontendsResponse* out) override;
  grpc::Status ListBackends(grpc::ServerContext*, const tandem::balancer::v1::ListBackendsRequest* req,
                            tandem::balancer::v1::ListBackendsResponse* out) override;
  grpc::Status SetServerState(grpc::ServerContext*, const tandem::balancer::v1::SetServerStateRequest* req,
                              tandem::balancer::v1::Server* out) override;
  grpc::Status SetServerWeight(grpc::ServerContext*, const tandem::balancer::v1::SetServerWeightRequest* req,
                               tandem::balancer::v1::Server* out) override;
  // Stick tables (HAProxy's `show table`, `clear table`, `set table`).
  grpc::Status ListTables(grpc::ServerContext*, const tandem::balancer::v1::ListTablesRequest*,
                          tandem::balancer::v1::ListTablesResponse* out) override;
  grpc::Status ShowTable(grpc::ServerContext*, const tandem::balancer::v1::ShowTableRequest* req,
                         tandem::balancer::v1::ShowTableResponse* out) override;
  grpc::Status ClearTable(grpc::ServerContext*, const tandem::balancer::v1::ClearTableRequest* req,
                          tandem::balancer::v1::ClearTableResponse* out) override;
  grpc::Status SetTableEntry(grpc::ServerContext*, const tandem::balancer::v1::SetTableEntryRequest* req,
                             tandem::balancer::v1::StickEntry* out) override;
  grpc::Status Reload(grpc::ServerContext*, const tandem::balancer::v1::ReloadRequest*,
                      tandem::balancer::v1::ReloadResponse* out) override;
  grpc::Status WatchEvents(grpc::ServerContext* ctx, const tandem::balancer::v1::WatchEventsRequest*,
                           grpc::ServerWriter<tandem::balancer::v1::BalancerEvent>* writer) override;

 private:
  static void fill_server(const health::Checker& checker, const runtime::Server& s, tandem::balancer::v1::Server* out);
  static grpc::Status find(const runtime::Runtime& rt, const std::string& backend, const std::string& server,
                           runtime::Server*& out);

  GenerationProvider generation_;
  Reloader reload_;
  EventBus& events_;
  stick::StickRegistry& sticks_;
  ProcessInfo info_;
  std::mutex mutex_;
  bool ready_ = false;
  std::string not_ready_reason_ = "starting";
  std::uint32_t reloads_ = 0;
  std::string last_reload_error_;
  std::int64_t config_loaded_unix_ms_ = 0;
};

}  // namespace tandem::balancer::admin
