#include "common/grpc/health_client.h"

#include <sys/stat.h>

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "common/strings.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace tandem {

HealthReport check_health(const std::string& socket_path, std::chrono::milliseconds timeout) {
  struct stat st {};
  if (::stat(socket_path.c_str(), &st) != 0) return {DaemonHealth::no_socket, cat("no socket at ", socket_path)};
  auto channel = grpc::CreateChannel("unix:" + socket_path, grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status s = stub->Check(&ctx, req, &resp);
  if (!s.ok()) return {DaemonHealth::unreachable, cat(socket_path, ": ", s.error_message())};
  switch (resp.status()) {
    case grpc::health::v1::HealthCheckResponse::SERVING:
      return {DaemonHealth::serving, ""};
    case grpc::health::v1::HealthCheckResponse::NOT_SERVING:
      return {DaemonHealth::not_serving, "NOT_SERVING"};
    default:
      return {DaemonHealth::unknown, "UNKNOWN"};
  }
}

std::string_view health_word(DaemonHealth h) {
  switch (h) {
    case DaemonHealth::serving: return "SERVING";
    case DaemonHealth::not_serving: return "NOT_SERVING";
    case DaemonHealth::unknown: return "UNKNOWN";
    case DaemonHealth::no_socket: return "not running";
    case DaemonHealth::unreachable: return "unreachable";
  }
  return "?";
}

}  // namespace tandem
