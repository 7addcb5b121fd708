#pragma once
// Reaching a daemon's admin socket from tandemctl: one channel per socket,
// deadlines on every call, errors that name the socket.

#include <chrono>
#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>

namespace tandem::cli {

inline std::shared_ptr<grpc::Channel> channel_to(const std::string& socket_path) {
  return grpc::CreateChannel("unix:" + socket_path, grpc::InsecureChannelCredentials());
}

inline void with_deadline(grpc::ClientContext& ctx, std::chrono::milliseconds d = std::chrono::seconds(5)) {
  ctx.set_deadline(std::chrono::system_clock::now() + d);
}

// The failure in words, naming the daemon and its socket: "vrrpd is not
// running (no socket at /run/tandem/vrrpd.sock)", "cannot reach the balancer
// at ...: ...", or the daemon's own refusal ("no backend named 'x'").
std::string rpc_error_text(const char* daemon, const std::string& socket, const grpc::Status& s);
// The exit status for it: 2 for connection errors and refused requests, 1
// when the daemon answered with another error.
int rpc_error_status(const std::string& socket, const grpc::Status& s);

// Whether anything (a socket, even a stale one) is at `socket`.
bool socket_exists(const std::string& socket);

// "cannot reach the balancer at /run/tandem/balancer.sock: ..." on stderr;
// returns the exit status for the failure (2: connection, 1: refused by the daemon).
int report_rpc_error(const char* daemon, const std::string& socket, const grpc::Status& s);

}  // namespace tandem::cli
