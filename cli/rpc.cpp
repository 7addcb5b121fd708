#include "cli/rpc.h"

#include <sys/stat.h>

#include <cstdio>

#include "cli/options.h"
#include "common/unix_socket.h"

namespace tandem::cli {

int report_rpc_error(const char* daemon, const std::string& socket, const grpc::Status& s) {
  struct stat st {};
  if (::stat(socket.c_str(), &st) != 0) {
    std::fprintf(stderr, "tandemctl: %s is not running (no socket at %s)\n", daemon, socket.c_str());
    return kUsage;
  }
  if (!unix_socket_is_live(socket)) {
    std::fprintf(stderr, "tandemctl: %s is not running (stale socket at %s)\n", daemon, socket.c_str());
    return kUsage;
  }
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      std::fprintf(stderr, "tandemctl: cannot reach the %s at %s: %s\n", daemon, socket.c_str(), s.error_message().c_str());
      return kUsage;
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
      std::fprintf(stderr, "tandemctl: %s\n", s.error_message().c_str());
      return kUsage;
    default:
      std::fprintf(stderr, "tandemctl: the %s at %s answered: %s\n", daemon, socket.c_str(), s.error_message().c_str());
      return kDegraded;
  }
}

}  // namespace tandem::cli
