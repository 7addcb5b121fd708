#pragma once
// The port the peer dials: a gRPC server with PeerSync (inbound_service.h)
// and the credentials of the TLS material in force. A reload that changes the
// TLS material opens it again: the peer's streams end, the peer re-dials and
// resumes (the sync cursors live in the balancers), new handshakes use the
// new files.

#include <grpcpp/server.h>

#include <memory>

#include "common/error.h"
#include "common/net_address.h"
#include "peersync/service/inbound_service.h"
#include "peersync/service/tls.h"

namespace tandem::peersync {

class PeerServer {
 public:
  struct Deps {
    InboundService::Options options;  // `tls` is set from the material at each start
    PeerBook& peers;
    BalancerLink& balancer;
    const Clock& clock;
    InboundService::StatusSource status;
    InboundService::PeerUp peer_up;
  };
  explicit PeerServer(Deps deps) : deps_(std::move(deps)) {}
  ~PeerServer() { shutdown(Millis(0)); }

  Result<void> start(const HostPort& listen, const TlsMaterial& tls);
  // Closes the port and opens it with `next`; if that fails, opens it again
  // with `old` and returns why `next` did not serve.
  Result<void> restart(const HostPort& listen, const TlsMaterial& next, const TlsMaterial& old);
  // Ends the streams (after `grace` for those under way) and closes the port.
  void shutdown(Millis grace);

 private:
  Deps deps_;
  std::unique_ptr<InboundService> service_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace tandem::peersync
