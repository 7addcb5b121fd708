#pragma once
// grpc.health.v1.Health, served by every daemon on its admin socket.
//
// gRPC's built-in service starts out SERVING; the balancer must say
// NOT_SERVING until its configuration is loaded and its listeners are bound,
// and vrrpd reads a broken Watch stream as "the balancer is gone". So the
// daemons serve this one: NOT_SERVING until told otherwise, Watch streams that
// carry every change, and streams that end on shutdown.

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"

namespace tandem {

class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  using Status = grpc::health::v1::HealthCheckResponse::ServingStatus;

  // `services` are the names asked-for services may use besides "" (the whole
  // server); they all share the server's status.
  explicit HealthService(std::set<std::string> services = {});
  ~HealthService() override;

  // Sets the status; every Watch stream sees the change.
  void set_status(Status status);
  Status status() const;

  // NOT_SERVING, then ends every Watch stream. Further Watch calls end at once.
  void shutdown();
  // After shutdown(): waits until every Watch stream has delivered its last
  // NOT_SERVING and ended (or `timeout`), so that stopping the server after
  // it cannot cut a stream short before its watcher heard why.
  void wait_watchers_done(std::chrono::milliseconds timeout);

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context, const grpc::health::v1::HealthCheckRequest* request) override;

 private:
  class Watcher;
  bool known(const std::string& service) const { return service.empty() || services_.contains(service); }

  const std::set<std::string> services_;
  // One lock for the status and every watcher's state. It is recursive because
  // gRPC may run a reaction (OnWriteDone, OnDone) inline from StartWrite or
  // Finish, which we call with the lock held.
  mutable std::recursive_mutex mutex_;
  Status status_;
  bool shut_down_ = false;
  std::set<Watcher*> watchers_;
  std::condition_variable_any watchers_done_;
};

}  // namespace tandem
