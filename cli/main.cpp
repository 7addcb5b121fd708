// tandemctl: one CLI for the whole pair.
#include <chrono>
#include <cstdio>

#include "cli/json.h"
#include "cli/options.h"
#include "common/grpc/health_client.h"
#include "common/strings.h"

using namespace tandem;
using namespace tandem::cli;

namespace {

int cmd_health(const Options& o) {
  struct Daemon {
    const char* name;
    const std::string& socket;
  } daemons[] = {{"balancer", o.balancer_socket}, {"vrrpd", o.vrrpd_socket}, {"peersync", o.peersync_socket}};
  int rc = kOk;
  JsonWriter j;
  j.begin_object().key("daemons").begin_array();
  std::string table = "DAEMON    HEALTH       SOCKET\n";
  for (const Daemon& d : daemons) {
    HealthReport r = check_health(d.socket, std::chrono::seconds(2));
    if (r.health != DaemonHealth::serving) rc = kDegraded;
    std::string word(health_word(r.health));
    j.begin_object().key("name").value(d.name).key("socket").value(d.socket).key("health").value(word);
    j.key("serving").value(r.health == DaemonHealth::serving).key("detail").value(r.detail).end_object();
    std::string name = d.name, w = word;
    name.resize(10, ' ');
    w.resize(13, ' ');
    std::string detail = r.health == DaemonHealth::no_socket ? cat("(no socket at ", d.socket, ")")
                         : r.health == DaemonHealth::serving ? d.socket
                                                             : cat(d.socket, " (", r.detail, ")");
    append(table, name, w, detail, '\n');
  }
  j.end_array().end_object();
  std::fputs(o.json ? j.str().c_str() : table.c_str(), stdout);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  auto opts = parse_options(argc, argv);
  if (!opts) {
    std::fprintf(stderr, "tandemctl: %s\n", opts.error().message.c_str());
    return kUsage;
  }
  const std::string& cmd = opts->command.front();
  if (cmd == "help") {
    std::fputs(usage().c_str(), stdout);
    return kOk;
  }
  if (cmd == "health") return cmd_health(*opts);
  std::fprintf(stderr, "tandemctl: unknown command '%s' (see tandemctl help)\n", cmd.c_str());
  return kUsage;
}
