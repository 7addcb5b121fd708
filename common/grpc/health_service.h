#pragma once
// grpc.health.v1.Health, served by every daemon on its admin socket.
//
// gRPC's built-in service starts out SERVING; the balancer must say
// NOT_SERVING until its configuration is loaded and its listeners are bound,
// and vrrpd reads a broken Watch stream as "the balancer is gone". So the
// daemons serve this one: NOT_SERVING until told otherwise, Watch streams that
// carry every change, and streams that end on shutdown.

#include <map>
#include <mutex>
#include <set>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"

namespace tandem {

// How a Watch stream ends when another process now serves the same socket (a
// balancer binary upgrade): not NOT_SERVING (the watcher would fail over) but
// UNAVAILABLE with this message, on which a watcher reconnects at once and
// judges the new process by its first answer.
inline constexpr std::string_view kHealthHandover = "handover: a new process serves this socket";

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
  // Ends every Watch stream with kHealthHandover, sending no status first;
  // further Watch calls end the same way.
  void hand_over();

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
  bool handed_over_ = false;
  std::set<Watcher*> watchers_;
};

}  // namespace tandem
