#pragma once
// tandem.peersync.v1.PeerSync, served on `listen` to the peer: the receiving
// end of Replicate (Hello checked against the certificate, Welcome with what
// the local balancer holds, batches checked by InboundGate then applied
// through the balancer's Apply stream, cumulative acks back) and NodeStatus.
//
// Threads: gRPC's synchronous API. A Replicate call uses its handler thread to
// read the peer, one thread to write the balancer's Apply stream (two batches
// in flight; what arrives meanwhile merges into the next), one to read the
// balancer's acks and ack the newest peer batch applied, one watchdog that
// cancels a silent peer. One stream per peer: a newer one ends the older.

#include <functional>

#include "common/clock.h"
#include "peersync/replication/inbound_gate.h"
#include "peersync/service/balancer_link.h"
#include "peersync/service/peer_book.h"
#include "tandem/peersync/v1/peersync.grpc.pb.h"

namespace tandem::peersync {

class InboundService final : public tandem::peersync::v1::PeerSync::Service {
 public:
  struct Options {
    std::string node;
    bool tls = true;
    InboundLimits limits;
    Millis dead_after{3000};
  };
  using StatusSource = std::function<tandem::peersync::v1::NodeStatus()>;
  // Called with a peer's name when its stream is admitted.
  using PeerUp = std::function<void(const std::string&)>;

  InboundService(Options options, PeerBook& peers, BalancerLink& balancer, const Clock& clock, StatusSource status,
                 PeerUp peer_up = {});

  grpc::Status Replicate(grpc::ServerContext* ctx,
                         grpc::ServerReaderWriter<tandem::peersync::v1::ReplicateResponse,
                                                  tandem::peersync::v1::ReplicateRequest>* stream) override;
  grpc::Status NodeStatus(grpc::ServerContext* ctx, const tandem::peersync::v1::NodeStatusRequest* req,
                          tandem::peersync::v1::NodeStatusResponse* resp) override;

 private:
  Result<std::string> authenticate(grpc::ServerContext* ctx, const std::string& claimed);

  const Options options_;
  PeerBook& peers_;
  BalancerLink& balancer_;
  const Clock& clock_;
  StatusSource status_;
  PeerUp peer_up_;
};

}  // namespace tandem::peersync
