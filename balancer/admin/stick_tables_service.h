#pragma once
// tandem.balancer.v1.StickTables on the balancer's admin socket: how the
// local peersync reads changes (Watch) and writes what the peer sent
// (Apply, GetApplied).
//
// Threads and locks: gRPC's synchronous API, one thread per call (there is
// one Watch and one Apply stream per peer). A Watch handler reads the change
// log (stick_watch.h), copies entries under one shard lock at a time, and
// builds and writes its batch with no lock held. It never asks workers for
// anything: workers only mark entries dirty, and the change signal wakes the
// stream (change_signal.h), so a slow peer slows its own stream only, never
// the data path. While idle a stream wakes at least every `poll` to notice
// cancellation and shutdown.

#include <atomic>
#include <chrono>

#include "balancer/stick/stick_registry.h"
#include "common/clock.h"
#include "tandem/balancer/v1/stick_tables.grpc.pb.h"

namespace tandem::balancer::admin {

class StickTablesService final : public tandem::balancer::v1::StickTables::Service {
 public:
  // Batching is adaptive, with no timer: a change after a quiet spell is sent
  // at once, and whatever changes while a Write is under way (the reader
  // busy, flow control) is the next batch; a key changed many times meanwhile
  // is sent once, in its latest state (stick_watch.h).
  struct Options {
    // How often an idle stream checks for cancellation.
    std::chrono::milliseconds poll{100};
    // A live batch without entries (only echoes of the peer's own changes,
    // or superseded records) only moves the cursor: such batches go at most
    // this often, the next batch's cursor covering a held one.
    std::chrono::milliseconds cursor_only_every{100};
  };

  StickTablesService(stick::StickRegistry& registry, const Clock& clock);
  StickTablesService(stick::StickRegistry& registry, const Clock& clock, Options options);
  ~StickTablesService() override;

  // Ends every Watch stream (and refuses new ones). Idempotent.
  void shutdown();

  grpc::Status ListTables(grpc::ServerContext* ctx, const tandem::balancer::v1::ListTablesRequest* req,
                          tandem::balancer::v1::ListTablesResponse* resp) override;
  grpc::Status Watch(grpc::ServerContext* ctx, const tandem::balancer::v1::WatchRequest* req,
                     grpc::ServerWriter<tandem::balancer::v1::WatchBatch>* writer) override;
  grpc::Status Apply(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<tandem::balancer::v1::ApplyAck, tandem::balancer::v1::ApplyBatch>* stream) override;
  grpc::Status GetApplied(grpc::ServerContext* ctx, const tandem::balancer::v1::GetAppliedRequest* req,
                          tandem::balancer::v1::Cursor* resp) override;

 private:
  stick::StickRegistry& reg_;
  const Clock& clock_;
  const Options options_;
  std::atomic<bool> stopping_{false};
};

}  // namespace tandem::balancer::admin
