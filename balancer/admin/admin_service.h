#pragma once
// tandem.balancer.v1.Admin on the balancer's admin socket: what the balancer
// is doing (status, frontends, backends, servers with their checks and
// counters) and the operator's levers (server state and weight). gRPC runs it
// on its own threads; it reads runtime atomics and takes the backend lock
// only to rebalance after a change.

#include <chrono>
#include <string>
#include <vector>

#include "balancer/admin/events.h"
#include "balancer/health/checker.h"
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
  AdminService(runtime::Runtime& rt, health::Checker& checker, EventBus& events, stick::StickRegistry& sticks,
               ProcessInfo info);

  // Readiness as grpc.health.v1 reports it, for GetStatus.
  void set_ready(bool ready, std::string reason);

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
  grpc::Status WatchEvents(grpc::ServerContext* ctx, const tandem::balancer::v1::WatchEventsRequest*,
                           grpc::ServerWriter<tandem::balancer::v1::BalancerEvent>* writer) override;

 private:
  void fill_server(const runtime::Server& s, tandem::balancer::v1::Server* out) const;
  grpc::Status find(const std::string& backend, const std::string& server, runtime::Server*& out) const;

  runtime::Runtime& rt_;
  health::Checker& checker_;
  EventBus& events_;
  stick::StickRegistry& sticks_;
  ProcessInfo info_;
  std::mutex mutex_;
  bool ready_ = false;
  std::string not_ready_reason_ = "starting";
};

}  // namespace tandem::balancer::admin
