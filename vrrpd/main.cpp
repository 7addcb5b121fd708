// tandem-vrrpd: a keepalived-compatible VRRP daemon that moves the VIP.
#include "common/daemon_main.h"
#include "common/grpc/daemon_runtime.h"
#include "common/log.h"
#include "vrrpd/config/parser.h"

using namespace tandem;

namespace {

const DaemonSpec kSpec{
    .name = "tandem-vrrpd",
    .summary = "VRRP (RFC 5798 v3, RFC 3768 v2) daemon; reads keepalived's configuration language.",
    .default_config = "/etc/tandem/vrrpd.conf",
    .default_socket = "/run/tandem/vrrpd.sock",
    .multiple_configs = false,
    .flags = {},
};

}  // namespace

int main(int argc, char** argv) {
  auto args = begin_daemon(kSpec, argc, argv);
  if (!args) return args.error();
  auto cfg = vrrpd::config::load(args->config_files.front());
  if (auto code = finish_config_check(kSpec, *args, cfg ? Result<void>{} : std::unexpected(cfg.error())))
    return *code;

  auto rt = DaemonRuntime::start({.name = "tandem-vrrpd", .args = &*args, .services = {}, .health_names = {}});
  if (!rt) {
    log::alert("cannot start: ", rt.error().message);
    return kExitConfig;
  }
  (*rt)->health().set_status(grpc::health::v1::HealthCheckResponse::SERVING);
  log::notice("started: ", cfg->instances.size(), " vrrp_instance(s), admin socket ", args->admin_socket);
  (*rt)->run({});
  return kExitOk;
}
