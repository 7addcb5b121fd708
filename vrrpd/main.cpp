// tandem-vrrpd: a keepalived-compatible VRRP daemon that moves the VIP.
//
// main() builds the kernel-facing pieces (raw VRRP sockets, libnl-route,
// AF_PACKET, fork/exec, gRPC health watches) and hands them to the runtime,
// which never constructs one itself.
#include <cstdlib>

#include "common/clock.h"
#include "common/daemon_main.h"
#include "common/grpc/daemon_runtime.h"
#include "common/log.h"
#include "vrrpd/admin/vrrp_service.h"
#include "vrrpd/config/parser.h"
#include "vrrpd/runtime/daemon.h"
#include "vrrpd/track/health_watch_grpc.h"
#include "vrrpd/track/tcp_prober.h"

using namespace tandem;
using namespace tandem::vrrpd;

namespace {

const DaemonSpec kSpec{
    .name = "tandem-vrrpd",
    .summary = "VRRP (RFC 5798 v3, RFC 3768 v2) daemon; reads keepalived's configuration language.",
    .default_config = "/etc/tandem/vrrpd.conf",
    .default_socket = "/run/tandem/vrrpd.sock",
    .multiple_configs = false,
    .flags = {},
};

// Notify scripts queued by the shutdown (notify_stop, notify) get this long.
constexpr auto kShutdownNotifyGrace = std::chrono::seconds(2);

Result<runtime::Prepared> load(const std::string& path) {
  auto cfg = config::load(path);
  if (!cfg) return std::unexpected(cfg.error());
  return runtime::prepare(std::move(*cfg));
}

template <typename T>
std::unique_ptr<T> must(Result<std::unique_ptr<T>> r, std::string_view what) {
  if (!r) {
    log::alert("cannot start: ", what, ": ", r.error().message);
    std::exit(kExitConfig);
  }
  return std::move(*r);
}

}  // namespace

int main(int argc, char** argv) {
  auto args = begin_daemon(kSpec, argc, argv);
  if (!args) return args.error();
  const std::string config_file = args->config_files.front();
  auto prepared = load(config_file);
  if (auto code = finish_config_check(kSpec, *args, prepared ? Result<void>{} : std::unexpected(prepared.error())))
    return *code;

  // The admin socket first: a second vrrpd must fail before touching any VIP.
  admin::VrrpService service;
  auto rt = DaemonRuntime::start(
      {.name = "tandem-vrrpd", .args = &*args, .services = {&service}, .health_names = {"tandem.vrrp.v1.Vrrp"}});
  if (!rt) {
    log::alert("cannot start: ", rt.error().message);
    return kExitConfig;
  }
  asio::io_context& io = (*rt)->io();

  auto links = must(netlink::RtnlLinkMonitor::create(io), "netlink");
  auto addresses = must(netlink::RtnlAddressTable::create(), "netlink");
  arp::PacketAnnouncer announcer;
  netlink::NftAcceptFilter accept_filter;
  track::ProcessScriptRunner runner(io);
  track::TcpProber prober(io);
  runtime::DaemonDeps deps{
      .io = io,
      .clock = SystemClock::instance(),
      .links = *links,
      .addresses = *addresses,
      .accept_filter = accept_filter,
      .announcer = announcer,
      .runner = runner,
      .prober = prober,
      .watch_factory = track::grpc_health_watch_factory(io),
      .open_socket = [&io](const std::string& ifname, int ifindex,
                           bool ipv6) -> Result<std::unique_ptr<socket::AdvertSocket>> {
        auto s = socket::RawAdvertSocket::open(io, ifname, ifindex, ipv6);
        if (!s) return std::unexpected(s.error());
        return std::unique_ptr<socket::AdvertSocket>(std::move(*s));
      },
  };
  const std::size_t instances = prepared->cfg.instances.size();
  auto daemon = std::make_unique<runtime::Daemon>(deps, std::move(*prepared));

  auto reload = [&]() -> Result<void> {
    auto p = load(config_file);
    if (!p) {
      log::error("reload: ", p.error().message, " (the running configuration stays)");
      return std::unexpected(p.error());
    }
    daemon->reload(std::move(*p));
    return {};
  };
  service.bind(io, {.status = [&] { return daemon->status(); },
                    .failover = [&](const std::string& i) { return daemon->failover(i); },
                    .reload = reload});
  daemon->subscribe([&service](const runtime::Event& e) { service.publish(e); });
  daemon->start();

  (*rt)->health().set_status(grpc::health::v1::HealthCheckResponse::SERVING);
  log::notice("started: ", instances, " vrrp_instance(s), admin socket ", args->admin_socket);
  (*rt)->run({.reload = [&] { (void)reload(); },
              .stop =
                  [&] {
                    service.shutdown();
                    // Priority 0 and the VIPs removed happen here, synchronously.
                    daemon->stop();
                    // notify_stop scripts run on the io_context: give them a moment.
                    io.restart();
                    const auto deadline = std::chrono::steady_clock::now() + kShutdownNotifyGrace;
                    while (!daemon->notify_idle() && std::chrono::steady_clock::now() < deadline)
                      io.run_one_for(std::chrono::milliseconds(50));
                  }});
  daemon.reset();
  return kExitOk;
}
