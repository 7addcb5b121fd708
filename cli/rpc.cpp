#include "cli/rpc.h"

#include <sys/stat.h>

#include <cstdio>

#include "cli/options.h"
#include "common/strings.h"
#include "common/unix_socket.h"

namespace tandem::cli {

namespace {

enum class Failure { no_socket, stale_socket, unreachable, refused, failed };

Failure classify(const std::string& socket, const grpc::Status& s) {
  struct stat st {};
  if (::stat(socket.c_str(), &st) != 0) return Failure::no_socket;
  if (!unix_socket_is_live(socket)) return Failure::stale_socket;
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Failure::unreachable;
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return Failure::refused;
    default:
      return Failure::failed;
  }
}

}  // namespace

std::string rpc_error_text(const char* daemon, const std::string& socket, const grpc::Status& s) {
  switch (classify(socket, s)) {
    case Failure::no_socket:
      return cat(daemon, " is not running (no socket at ", socket, ')');
    case Failure::stale_socket:
      return cat(daemon, " is not running (stale socket at ", socket, ')');
    case Failure::unreachable:
      return cat("cannot reach the ", daemon, " at ", socket, ": ", s.error_message());
    case Failure::refused:
      return s.error_message();
    case Failure::failed:
      break;
  }
  if (s.error_code() == grpc::StatusCode::UNIMPLEMENTED)
    return cat("the ", daemon, " at ", socket, " does not offer this call",
               s.error_message().empty() ? "" : cat(" (", s.error_message(), ')'));
  return cat("the ", daemon, " at ", socket, " answered: ", s.error_message());
}

int rpc_error_status(const std::string& socket, const grpc::Status& s) {
  return classify(socket, s) == Failure::failed ? kDegraded : kUsage;
}

int report_rpc_error(const char* daemon, const std::string& socket, const grpc::Status& s) {
  std::fprintf(stderr, "tandemctl: %s\n", rpc_error_text(daemon, socket, s).c_str());
  return rpc_error_status(socket, s);
}

bool socket_exists(const std::string& socket) {
  struct stat st {};
  return ::stat(socket.c_str(), &st) == 0;
}

}  // namespace tandem::cli
