#pragma once
// tandem.vrrp.v1.Vrrp on the admin socket. gRPC calls arrive on gRPC's
// threads; each is handed to the control io_context (where the daemon lives)
// and finished from there, so nothing here blocks a gRPC thread or touches
// the daemon from another thread.

#include <asio/io_context.hpp>
#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "tandem/vrrp/v1/vrrp.grpc.pb.h"
#include "vrrpd/runtime/status.h"

namespace tandem::vrrpd::admin {

class VrrpService final : public tandem::vrrp::v1::Vrrp::CallbackService {
 public:
  // Run on the control thread.
  struct Hooks {
    std::function<runtime::Status()> status;
    std::function<Result<std::vector<std::string>>(const std::string& instance)> failover;
    std::function<Result<void>()> reload;
  };

  VrrpService() = default;
  ~VrrpService() override;

  // Connects the service to the daemon once it exists (the admin server,
  // which the service is part of, starts first). Calls before then are
  // answered UNAVAILABLE.
  void bind(asio::io_context& io, Hooks hooks);

  // From the control thread: a transition or tracker change for WatchEvents.
  void publish(const runtime::Event& e);
  // Ends every WatchEvents stream (shutdown).
  void shutdown();

  grpc::ServerUnaryReactor* ListInstances(grpc::CallbackServerContext* ctx,
                                          const tandem::vrrp::v1::ListInstancesRequest* req,
                                          tandem::vrrp::v1::ListInstancesResponse* resp) override;
  grpc::ServerWriteReactor<tandem::vrrp::v1::VrrpEvent>* WatchEvents(
      grpc::CallbackServerContext* ctx, const tandem::vrrp::v1::WatchEventsRequest* req) override;
  grpc::ServerUnaryReactor* Failover(grpc::CallbackServerContext* ctx, const tandem::vrrp::v1::FailoverRequest* req,
                                     tandem::vrrp::v1::FailoverResponse* resp) override;
  grpc::ServerUnaryReactor* Reload(grpc::CallbackServerContext* ctx, const tandem::vrrp::v1::ReloadRequest* req,
                                   tandem::vrrp::v1::ReloadResponse* resp) override;

 private:
  class EventStream;

  // Whether a call can be handed to the control thread: set once by bind().
  bool ready(grpc::ServerUnaryReactor* reactor);

  std::atomic<asio::io_context*> io_{nullptr};
  Hooks hooks_;
  std::recursive_mutex mutex_;  // guards streams_ (reactions may run inline under it)
  std::set<EventStream*> streams_;
  bool shut_down_ = false;
};

// The proto form of the daemon's status (exposed for tests).
void to_proto(const runtime::InstanceStatus& s, tandem::vrrp::v1::Instance* out);
void to_proto(const runtime::TransitionRecord& t, tandem::vrrp::v1::Transition* out);

}  // namespace tandem::vrrpd::admin
