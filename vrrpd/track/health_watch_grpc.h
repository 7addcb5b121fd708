#pragma once
// HealthWatch over gRPC: a grpc.health.v1 Watch stream on a unix socket.
// gRPC runs the stream on its own threads; every status is posted to the
// control io_context, so trackers never see another thread.

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <memory>
#include <string>

#include "vrrpd/track/balancer_probes.h"

namespace grpc {
class Channel;
}

namespace tandem::vrrpd::track {

class GrpcHealthWatch final : public HealthWatch {
 public:
  GrpcHealthWatch(asio::io_context& io, std::string socket, config::Micros first_answer_timeout);
  ~GrpcHealthWatch() override;
  void start(Listener listener) override;
  void stop() override;

  struct Shared;  // what the gRPC call objects share with us (health_watch_grpc.cpp)
  // Called on the control thread by what the call objects post.
  void on_status(int generation, WatchStatus status, const std::string& detail);
  void on_handover(int generation);

 private:
  void connect();

  std::shared_ptr<Shared> s_;
  std::string socket_;
  config::Micros first_answer_timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  asio::steady_timer retry_;
  asio::steady_timer deadline_;
  Listener listener_;
  bool stopped_ = true;
  int generation_ = 0;  // the call a posted status belongs to
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  int handovers_ = 0;  // in a row, with no answer between them
};

// The factory main() hands to the daemon.
HealthWatchFactory grpc_health_watch_factory(asio::io_context& io);

}  // namespace tandem::vrrpd::track
