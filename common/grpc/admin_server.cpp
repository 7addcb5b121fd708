#include "common/grpc/admin_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "common/strings.h"
#include "common/unix_socket.h"

namespace tandem {

Result<std::unique_ptr<AdminServer>> AdminServer::start(Options options) {
  if (auto claimed = claim_unix_socket_path(options.socket_path); !claimed) return std::unexpected(claimed.error());

  std::unique_ptr<AdminServer> self(new AdminServer());
  self->path_ = options.socket_path;
  self->health_ = std::make_unique<HealthService>(options.health_names);

  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + options.socket_path, grpc::InsecureServerCredentials());
  builder.SetMaxReceiveMessageSize(options.max_receive_bytes);
  builder.RegisterService(self->health_.get());
  for (grpc::Service* s : options.services) builder.RegisterService(s);
  self->server_ = builder.BuildAndStart();
  if (!self->server_) return fail(cat("cannot serve gRPC on ", options.socket_path));
  if (::chmod(options.socket_path.c_str(), 0660) != 0)
    return fail(cat("chmod ", options.socket_path, ": ", std::strerror(errno)));
  self->stamp_ = stamp_of(options.socket_path);
  return self;
}

AdminServer::~AdminServer() { shutdown(std::chrono::milliseconds(0)); }

void AdminServer::shutdown(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  health_->shutdown();
  // gRPC removes its socket file by name when it stops listening. A process
  // that took the path over (balancer -sf) has its own file there: keep it
  // under a second name across our shutdown, then put it back.
  std::string keep;
  if (server_ && socket_replaced()) {
    keep = cat(path_, ".keep.", static_cast<int>(::getpid()));
    if (::link(path_.c_str(), keep.c_str()) != 0) keep.clear();
  }
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + grace);
    server_->Wait();
  }
  if (!keep.empty()) ::rename(keep.c_str(), path_.c_str());
  else unlink_if_ours(path_, stamp_);
}

}  // namespace tandem
