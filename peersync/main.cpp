// tandem-peersync: replicates stick tables between the two nodes over gRPC.
#include "common/daemon_main.h"
#include "common/grpc/daemon_runtime.h"
#include "common/log.h"
#include "common/strings.h"
#include "peersync/config/parser.h"
#include "peersync/service/cluster_service.h"
#include "peersync/service/node_status.h"
#include "peersync/service/supervisor.h"
#include "peersync/service/tls.h"

using namespace tandem;
using namespace tandem::peersync;
namespace pcfg = tandem::peersync::config;

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
  auto cfg = pcfg::load(args->config_files.front());
  Result<TlsMaterial> tls = cfg ? load_tls(cfg->tls) : Result<TlsMaterial>{};
  Result<void> loaded = !cfg   ? Result<void>(std::unexpected(cfg.error()))
                        : !tls ? Result<void>(fail(cat(cfg->file, ": tls: ", tls.error().message)))
                               : Result<void>{};
  if (auto code = finish_config_check(kSpec, *args, loaded)) return *code;

  // The socket: --admin-socket, else peersync.conf's admin-socket, else the default.
  if (!args->admin_socket_given && !cfg->admin_socket.empty()) args->admin_socket = cfg->admin_socket;
  const Clock& clock = SystemClock::instance();
  Supervisor node(*cfg, *tls, clock);
  NodeStatusSource status(cfg->node, cfg->balancer_socket, cfg->vrrpd_socket, node.peers(), clock);
  ClusterService cluster(status, cfg->peers, *tls, [&] { return node.reload(); });
  node.set_cluster(&cluster);

  // The admin socket first: a second instance is refused for the socket a
  // live process serves, before it touches the peer port.
  auto rt = DaemonRuntime::start({.name = "tandem-peersync",
                                  .args = &*args,
                                  .services = {&cluster},
                                  .health_names = {"tandem.peersync.v1.Cluster"}});
  if (!rt) {
    log::alert("cannot start: ", rt.error().message);
    return kExitConfig;
  }
  if (auto r = node.start([&] { return status.collect(); }); !r) {
    log::alert("cannot start: ", r.error().message);
    (*rt)->admin().shutdown(std::chrono::milliseconds(0));
    return kExitConfig;
  }
  (*rt)->health().set_status(grpc::health::v1::HealthCheckResponse::SERVING);
  log::notice("started: node ", cfg->node, ", listening on ", cfg->listen.text(),
              tls->enabled ? " (mutual TLS)" : " (plaintext: tls off)", ", ", cfg->peers.size(),
              " peer(s), admin socket ", args->admin_socket);
  // SIGHUP and Cluster.Reload apply the file the same way (supervisor.h);
  // the outcome is logged there.
  (*rt)->run({.reload = [&] { (void)node.reload(); }, .stop = [&] { node.stop(); }});
  return kExitOk;
}
