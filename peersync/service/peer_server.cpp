#include "peersync/service/peer_server.h"

#include <grpcpp/server_builder.h>

#include <chrono>

#include "common/strings.h"

namespace tandem::peersync {

Result<void> PeerServer::start(const HostPort& listen, const TlsMaterial& tls) {
  InboundService::Options o = deps_.options;
  o.tls = tls.enabled;
  auto service =
      std::make_unique<InboundService>(o, deps_.peers, deps_.balancer, deps_.clock, deps_.status, deps_.peer_up);
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(listen.text(), server_credentials(tls), &bound_port);
  // gRPC sets SO_REUSEPORT by default: two peersyncs would then share the
  // port and split the peer's connections between them. One owner only.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || bound_port == 0) return fail(cat("cannot listen on ", listen.text()));
  service_ = std::move(service);
  server_ = std::move(server);
  return {};
}

Result<void> PeerServer::restart(const HostPort& listen, const TlsMaterial& next, const TlsMaterial& old) {
  shutdown(Millis(200));
  auto r = start(listen, next);
  if (r) return {};
  if (auto back = start(listen, old); !back)
    return fail(cat(r.error().message, " with the new TLS files, and again with the old ones: ", back.error().message));
  return fail(cat(r.error().message, " with the new TLS files; the old ones serve"));
}

void PeerServer::shutdown(Millis grace) {
  if (!server_) return;
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_.reset();
  service_.reset();
}

}  // namespace tandem::peersync
