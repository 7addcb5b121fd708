#pragma once
// Mutual TLS between the peersyncs: both sides present certificates signed by
// the configured CA; the client checks that the server's certificate names the
// peer it dialled (gRPC's host name check against the peer's name, not its
// address), the server checks the client's names in the handler (inbound_gate).

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/channel_arguments.h>

#include "common/error.h"
#include "peersync/config/model.h"

namespace tandem::peersync {

struct TlsMaterial {
  bool enabled = false;
  std::string cert, key, ca;  // PEM text
};

// Reads the files `tls` names. With `tls off`, nothing.
Result<TlsMaterial> load_tls(const config::Tls& tls);

std::shared_ptr<grpc::ServerCredentials> server_credentials(const TlsMaterial& m);
std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const TlsMaterial& m);
// Channel arguments for dialling `peer_name`: its certificate must name it;
// messages are bounded both ways.
grpc::ChannelArguments channel_arguments(const std::string& peer_name, const TlsMaterial& m);

// The SAN entries and CN of the client certificate of a call.
std::vector<std::string> certificate_names(const grpc::ServerContext& ctx);

// Largest replication message either side accepts.
inline constexpr int kMaxMessageBytes = 8 << 20;
inline constexpr int kMaxApplyBytes = 64 << 20;  // to the local balancer (common/grpc/admin_server.h)

}  // namespace tandem::peersync
