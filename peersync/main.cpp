// tandem-peersync: replicates stick tables between the two nodes over gRPC.
#include "common/daemon_main.h"
#include "common/grpc/daemon_runtime.h"
#include "common/log.h"
#include "peersync/config/parser.h"

using namespace tandem;

namespace {

const DaemonSpec kSpec{
    .name = "tandem-peersync",
    .summary = "Stick-table replication between the two nodes (gRPC, mutual TLS).",
    .default_config = "/etc/tandem/peersync.conf",
    .default_socket = "/run/tandem/peersync.sock",
    .multiple_configs = false,
    .flags = {},
};

}  // namespace

int main(int argc, char** argv) {
  auto args = begin_daemon(kSpec, argc, argv);
  if (!args) return args.error();
  auto cfg = peersync::config::load(args->config_files.front());
  if (auto code = finish_config_check(kSpec, *args, cfg ? Result<void>{} : std::unexpected(cfg.error())))
    return *code;

  // The socket: --admin-socket, else peersync.conf's admin-socket, else the default.
  if (!args->admin_socket_given && !cfg->admin_socket.empty()) args->admin_socket = cfg->admin_socket;
  auto rt = DaemonRuntime::start({.name = "tandem-peersync", .args = &*args, .services = {}, .health_names = {}});
  if (!rt) {
    log::alert("cannot start: ", rt.error().message);
    return kExitConfig;
  }
  (*rt)->health().set_status(grpc::health::v1::HealthCheckResponse::SERVING);
  log::notice("started: node ", cfg->node, ", ", cfg->peers.size(), " peer(s), admin socket ", args->admin_socket);
  (*rt)->run({});
  return kExitOk;
}
