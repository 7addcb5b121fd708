#pragma once
// tandemctl's commands. Each returns the process exit status (options.h).

#include "cli/options.h"

namespace tandem::cli {

int cmd_health(const Options& o);
int cmd_backends(const Options& o);  // backends [NAME]
int cmd_servers(const Options& o);   // servers [BACKEND]
int cmd_server(const Options& o);    // server ready|drain|maint B/S, server weight B/S N
int cmd_vrrp(const Options& o);      // vrrp [INSTANCE]
int cmd_events(const Options& o);    // events
int cmd_status(const Options& o);    // status
int cmd_peers(const Options& o);     // peers
int cmd_table(const Options& o);     // table show NAME [--key K] [--limit N], table clear NAME [--key K]
int cmd_failover(const Options& o);  // failover [--wait-synced] [--timeout S] [INSTANCE]
int cmd_reload(const Options& o);    // reload balancer|vrrpd|peersync

}  // namespace tandem::cli
