// tandemctl: one CLI for the whole pair.
#include <cstdio>

#include "cli/commands.h"
#include "cli/options.h"

using namespace tandem;
using namespace tandem::cli;

namespace {

struct Command {
  const char* name;
  int (*run)(const Options&);
};

constexpr Command kCommands[] = {
    {"status", cmd_status},   {"health", cmd_health},     {"vrrp", cmd_vrrp},     {"backends", cmd_backends},
    {"servers", cmd_servers}, {"server", cmd_server},     {"table", cmd_table},   {"peers", cmd_peers},
    {"events", cmd_events},   {"failover", cmd_failover}, {"reload", cmd_reload},
};

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
  for (const Command& c : kCommands)
    if (cmd == c.name) return c.run(*opts);
  std::fprintf(stderr, "tandemctl: unknown command '%s' (see tandemctl help)\n", cmd.c_str());
  return kUsage;
}
