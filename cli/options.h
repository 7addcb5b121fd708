#pragma once
// tandemctl's global options: where the three daemons' sockets are.

#include <string>
#include <vector>

#include "common/error.h"

namespace tandem::cli {

struct Options {
  std::string run_dir = "/run/tandem";
  std::string balancer_socket;  // default: RUN_DIR/balancer.sock
  std::string vrrpd_socket;     // default: RUN_DIR/vrrpd.sock
  std::string peersync_socket;  // default: RUN_DIR/peersync.sock
  bool json = false;
  std::vector<std::string> command;  // the command and its arguments
};

// Parses argv; an unknown option or a missing value is an error.
Result<Options> parse_options(int argc, const char* const* argv);

std::string usage();

// Exit codes (documented in the man page and README).
inline constexpr int kOk = 0;        // all is well
inline constexpr int kDegraded = 1;  // a daemon down, a peer out of sync, a backend without servers
inline constexpr int kUsage = 2;     // bad usage or a connection error

}  // namespace tandem::cli
