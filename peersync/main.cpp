// tandem-peersync: replicates stick tables between the two nodes over gRPC.
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <random>

#include "common/daemon_main.h"
#include "common/grpc/daemon_runtime.h"
#include "common/log.h"
#include "common/strings.h"
#include "peersync/config/parser.h"
#include "peersync/service/balancer_link.h"
#include "peersync/service/cluster_service.h"
#include "peersync/service/inbound_service.h"
#include "peersync/service/node_status.h"
#include "peersync/service/outbound_driver.h"
#include "peersync/service/peer_book.h"
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

bool same_peers(const std::vector<pcfg::Peer>& a, const std::vector<pcfg::Peer>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].name != b[i].name || !(a[i].address == b[i].address)) return false;
  return true;
}

// Reload checks the file and applies what can change live (nothing yet
// besides the admin socket's users seeing the check); a change of node,
// listen, peers, sockets or TLS files is refused with the reason, and the
// running configuration stays as it was.
Result<void> check_reload(const pcfg::Config& running) {
  auto next = pcfg::load(running.file);
  if (!next) return std::unexpected(next.error());
  std::vector<std::string> changed;
  if (next->node != running.node) changed.push_back("node");
  if (!(next->listen == running.listen)) changed.push_back("listen");
  if (!same_peers(next->peers, running.peers)) changed.push_back("peer");
  if (next->balancer_socket != running.balancer_socket) changed.push_back("balancer-socket");
  if (next->vrrpd_socket != running.vrrpd_socket) changed.push_back("vrrpd-socket");
  if (next->tls.enabled != running.tls.enabled || next->tls.cert != running.tls.cert ||
      next->tls.key != running.tls.key || next->tls.ca != running.tls.ca)
    changed.push_back("tls");
  if (changed.empty()) return {};
  std::string what;
  for (const auto& c : changed) what += what.empty() ? c : cat(", ", c);
  return fail(cat(running.file, ": ", what, ": changed; takes effect when tandem-peersync restarts"));
}

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
  LinkTimers timers;
  // Before the inbound service, which wakes a driver when its peer dials in;
  // filled before the server starts, so never changed while it is read.
  std::vector<std::unique_ptr<OutboundDriver>> drivers;
  PeerBook peers(cfg->peers, timers);
  BalancerLink balancer(cfg->balancer_socket);
  NodeStatusSource status(cfg->node, cfg->balancer_socket, cfg->vrrpd_socket, peers, clock);
  InboundService inbound(
      {.node = cfg->node, .tls = tls->enabled, .limits = {}, .dead_after = timers.dead_after}, peers, balancer, clock,
      [&] { return status.collect(); },
      [&](const std::string& peer) {
        for (auto& d : drivers)
          if (d->peer() == peer) d->redial_now();
      });
  ClusterService cluster(status, cfg->peers, *tls, [&] { return check_reload(*cfg); });

  for (PeerEntry* p : peers.all())
    drivers.push_back(std::make_unique<OutboundDriver>(cfg->node, *p, balancer, *tls, clock));

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

  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(cfg->listen.text(), server_credentials(*tls), &bound_port);
  // gRPC sets SO_REUSEPORT by default: two peersyncs would then share the
  // port and split the peer's connections between them. One owner only.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.RegisterService(&inbound);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || bound_port == 0) {
    log::alert("cannot start: cannot listen on ", cfg->listen.text());
    (*rt)->admin().shutdown(std::chrono::milliseconds(0));
    return kExitConfig;
  }

  for (auto& d : drivers) d->start();
  (*rt)->health().set_status(grpc::health::v1::HealthCheckResponse::SERVING);
  log::notice("started: node ", cfg->node, ", listening on ", cfg->listen.text(),
              tls->enabled ? " (mutual TLS)" : " (plaintext: tls off)", ", ", cfg->peers.size(),
              " peer(s), admin socket ", args->admin_socket);
  (*rt)->run({.reload =
                  [&] {
                    if (auto r = check_reload(*cfg); !r) log::warning("reload: ", r.error().message);
                  },
              .stop =
                  [&] {
                    for (auto& d : drivers) d->stop();
                    server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
                  }});
  return kExitOk;
}
