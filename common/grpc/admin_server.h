#pragma once
// A daemon's gRPC admin server on its unix socket (mode 0660), with
// grpc.health.v1 served from the start (NOT_SERVING until the daemon says so).

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/server.h>

#include "common/error.h"
#include "common/unix_socket.h"
#include "common/grpc/health_service.h"

namespace tandem {

class AdminServer {
 public:
  struct Options {
    std::string socket_path;
    // The daemon's services; they must outlive the server.
    std::vector<grpc::Service*> services;
    // Names the health service answers for besides "" (usually the services').
    std::set<std::string> health_names;
    // Largest message accepted (replication batches are the big ones).
    int max_receive_bytes = 64 << 20;
  };

  // Claims the socket path (a stale file is replaced, a live server is not),
  // starts serving, and sets the socket's mode to 0660.
  static Result<std::unique_ptr<AdminServer>> start(Options options);

  ~AdminServer();

  HealthService& health() { return *health_; }
  const std::string& socket_path() const { return path_; }
  // Another process has put its own socket at our path (it took over).
  bool socket_replaced() const { return !stamp_.same_file(stamp_of(path_)); }

  // NOT_SERVING, ends Watch streams, lets calls in flight finish for `grace`,
  // then cancels the rest and removes the socket file. Idempotent.
  void shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(500));

 private:
  AdminServer() = default;

  std::string path_;
  FileStamp stamp_;  // the socket file this server created
  std::unique_ptr<HealthService> health_;
  std::unique_ptr<grpc::Server> server_;
  bool stopped_ = false;
};

}  // namespace tandem
