// tandemctl health: each daemon's grpc.health.v1 status.
#include <chrono>
#include <cstdio>

#include "cli/commands.h"
#include "cli/json.h"
#include "cli/table.h"
#include "common/grpc/health_client.h"

namespace tandem::cli {

int cmd_health(const Options& o) {
  struct Daemon {
    const char* name;
    const std::string& socket;
  } daemons[] = {{"balancer", o.balancer_socket}, {"vrrpd", o.vrrpd_socket}, {"peersync", o.peersync_socket}};
  int rc = kOk;
  bool color = !o.json && stdout_is_terminal();
  JsonWriter j;
  j.begin_object().key("daemons").begin_array();
  Table t({"DAEMON", "HEALTH", "SOCKET"});
  for (const Daemon& d : daemons) {
    HealthReport r = check_health(d.socket, std::chrono::seconds(2));
    if (r.health != DaemonHealth::serving) rc = kDegraded;
    std::string word(health_word(r.health));
    j.begin_object().key("name").value(d.name).key("socket").value(d.socket).key("health").value(word);
    j.key("serving").value(r.health == DaemonHealth::serving).key("detail").value(r.detail).end_object();
    std::string detail = r.health == DaemonHealth::no_socket ? "(no socket at " + d.socket + ")"
                         : r.health == DaemonHealth::serving ? d.socket
                                                             : d.socket + " (" + r.detail + ")";
    t.add({d.name, colored(word, color), detail});
  }
  j.end_array().end_object();
  std::fputs(o.json ? j.str().c_str() : t.render().c_str(), stdout);
  return rc;
}

}  // namespace tandem::cli
