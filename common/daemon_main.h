#pragma once
// What every daemon's main() does before its own work: parse the shared
// command line, answer -h/--version, set up logging, and report a
// configuration check the way HAProxy's -c does.

#include <optional>
#include <string_view>

#include "common/daemon_cli.h"
#include "common/error.h"

namespace tandem {

// Exit codes shared by the daemons.
inline constexpr int kExitOk = 0;
inline constexpr int kExitConfig = 1;  // invalid configuration, or failure to start
inline constexpr int kExitUsage = 2;   // bad command line

// Parses argv and handles -h, --version and --log-level. Returns the arguments,
// or the exit code when the process should stop now.
Result<DaemonArgs, int> begin_daemon(const DaemonSpec& spec, int argc, const char* const* argv);

// After loading the configuration: prints the error ("FILE:LINE: message") and
// returns kExitConfig, or with -c prints "Configuration file is valid" and
// returns kExitOk; otherwise returns nothing and the daemon goes on.
std::optional<int> finish_config_check(const DaemonSpec& spec, const DaemonArgs& args, const Result<void>& loaded);

}  // namespace tandem
