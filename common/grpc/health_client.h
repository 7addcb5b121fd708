#pragma once
// Asking a daemon's admin socket for its grpc.health.v1 status.

#include <chrono>
#include <string>

#include "common/error.h"

namespace tandem {

enum class DaemonHealth {
  serving,
  not_serving,
  unknown,      // the server answered UNKNOWN or SERVICE_UNKNOWN
  no_socket,    // nothing at the path: the daemon is not running
  unreachable,  // a socket file, but no answer (dead process, hung daemon)
};

struct HealthReport {
  DaemonHealth health;
  std::string detail;  // the error in words when not serving
};

// One Check call with a deadline; never throws, never blocks past `timeout`.
HealthReport check_health(const std::string& socket_path, std::chrono::milliseconds timeout);

std::string_view health_word(DaemonHealth h);

}  // namespace tandem
