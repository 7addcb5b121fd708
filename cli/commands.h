#pragma once
// tandemctl's commands. Each returns the process exit status (options.h).

#include "cli/options.h"

namespace tandem::cli {

int cmd_health(const Options& o);
int cmd_backends(const Options& o);  // backends [NAME]
int cmd_servers(const Options& o);   // servers [BACKEND]
int cmd_server(const Options& o);    // server ready|drain|maint B/S, server weight B/S N

}  // namespace tandem::cli
