#include "cli/options.h"

#include "common/strings.h"

namespace tandem::cli {

Result<Options> parse_options(int argc, const char* const* argv) {
  Options o;
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.empty() || a[0] != '-') break;
    auto value = [&](std::string& dst) -> Result<void> {
      if (i + 1 >= argc) return fail(cat("option ", a, " needs a value"));
      dst = argv[++i];
      return {};
    };
    Result<void> r;
    if (a == "--run-dir")
      r = value(o.run_dir);
    else if (a == "--balancer-socket")
      r = value(o.balancer_socket);
    else if (a == "--vrrpd-socket")
      r = value(o.vrrpd_socket);
    else if (a == "--peersync-socket")
      r = value(o.peersync_socket);
    else if (a == "--json")
      o.json = true;
    else if (a == "-h" || a == "--help")
      o.command = {"help"};
    else
      return fail(cat("unknown option '", a, "'"));
    if (!r) return std::unexpected(r.error());
  }
  // --json is also taken after the command (`tandemctl status --json`); no
  // command has an argument of that spelling.
  for (; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--json")
      o.json = true;
    else
      o.command.emplace_back(argv[i]);
  }
  if (o.balancer_socket.empty()) o.balancer_socket = o.run_dir + "/balancer.sock";
  if (o.vrrpd_socket.empty()) o.vrrpd_socket = o.run_dir + "/vrrpd.sock";
  if (o.peersync_socket.empty()) o.peersync_socket = o.run_dir + "/peersync.sock";
  if (o.command.empty()) return fail("no command given (see tandemctl help)");
  return o;
}

std::string usage() {
  return "Usage: tandemctl [--run-dir DIR] [--json] COMMAND [ARGS]\n"
         "Shows and steers both nodes of a Tandem pair.\n\n"
         "Options:\n"
         "  --run-dir DIR            where the daemons' sockets are [default: /run/tandem]\n"
         "  --balancer-socket PATH   [default: DIR/balancer.sock]\n"
         "  --vrrpd-socket PATH      [default: DIR/vrrpd.sock]\n"
         "  --peersync-socket PATH   [default: DIR/peersync.sock]\n"
         "  --json                   machine-readable output\n\n"
         "Commands:\n"
         "  status                   both nodes at a glance: VRRP, VIPs, balancer, backends, peer sync\n"
         "  health                   each daemon's health (grpc.health.v1)\n"
         "  vrrp [INSTANCE]          VRRP instances: state, effective priority and why, VIPs\n"
         "  backends [NAME]          backends: servers up/total, sessions, queue\n"
         "  servers [BACKEND]        servers: state, weight, last check, sessions\n"
         "  server ready|drain|maint BACKEND/SERVER\n"
         "  server weight BACKEND/SERVER N\n"
         "  table show NAME [--key K] [--limit N]\n"
         "                           a stick table's entries\n"
         "  table clear NAME [--key K]\n"
         "                           removes a stick table's entries, or one key\n"
         "  peers                    replication with the peer: reachability, sync state, lag\n"
         "  events                   follows balancer and vrrpd events until Ctrl-C\n"
         "  failover [--wait-synced] [--timeout SECONDS] [INSTANCE]\n"
         "                           hands this node's MASTER instances to the peer\n"
         "  reload balancer|vrrpd|peersync\n"
         "                           loads a daemon's configuration again\n"
         "  help                     this text\n\n"
         "Exit status: 0 all is well, 1 something is degraded, 2 usage or connection error.\n"
         "See docs/tandemctl.md for every command's output and JSON shape.\n";
}

}  // namespace tandem::cli
