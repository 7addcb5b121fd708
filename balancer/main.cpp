// tandem-balancer: an HAProxy-class L4/L7 load balancer.
#include "balancer/config/parser.h"
#include "common/daemon_main.h"
#include "common/grpc/daemon_runtime.h"
#include "common/log.h"

using namespace tandem;

namespace {

const DaemonSpec kSpec{
    .name = "tandem-balancer",
    .summary = "HAProxy-class L4/L7 load balancer; reads HAProxy's configuration language.",
    .default_config = "/etc/tandem/balancer.cfg",
    .default_socket = "/run/tandem/balancer.sock",
    .multiple_configs = true,
    .flags = {},
};

}  // namespace

int main(int argc, char** argv) {
  auto args = begin_daemon(kSpec, argc, argv);
  if (!args) return args.error();
  auto cfg = balancer::config::load(args->config_files);
  if (auto code = finish_config_check(kSpec, *args, cfg ? Result<void>{} : std::unexpected(cfg.error())))
    return *code;

  auto rt = DaemonRuntime::start({.name = "tandem-balancer", .args = &*args, .services = {}, .health_names = {}});
  if (!rt) {
    log::alert("cannot start: ", rt.error().message);
    return kExitConfig;
  }
  (*rt)->health().set_status(grpc::health::v1::HealthCheckResponse::SERVING);
  log::notice("started: ", cfg->files.size(), " configuration file(s), admin socket ", args->admin_socket);
  (*rt)->run({});
  return kExitOk;
}
