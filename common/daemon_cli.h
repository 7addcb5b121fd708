#pragma once
// The command line every Tandem daemon shares:
//   -f FILE  -c  -p PIDFILE  --admin-socket PATH  --log-level LEVEL  --version  -h
// plus the daemon's own boolean flags (the balancer's HAProxy-style -db, -Ws).

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace tandem {

struct DaemonFlag {
  std::string_view name;  // "-db"
  std::string_view help;
  // Empty: a boolean flag. Else the value's name for -h ("PATH"); ending in
  // "..." the flag takes every following argument up to the next option
  // (HAProxy's `-sf PID...`), at least one.
  std::string_view value = {};
};

struct DaemonSpec {
  std::string_view name;            // "tandem-balancer"
  std::string_view summary;         // one line for -h
  std::string_view default_config;  // "/etc/tandem/balancer.cfg"
  std::string_view default_socket;  // "/run/tandem/balancer.sock"
  bool multiple_configs = false;    // -f may repeat (the balancer, as HAProxy)
  std::vector<DaemonFlag> flags;    // the daemon's own flags
};

struct DaemonArgs {
  std::vector<std::string> config_files;  // never empty after parsing
  bool check_only = false;                // -c
  std::string pidfile;                    // -p; empty: none
  std::string admin_socket;               // --admin-socket, else the default
  bool admin_socket_given = false;        // --admin-socket was on the command line
  std::string log_level;                  // --log-level; empty: default
  bool show_version = false;
  bool show_help = false;
  std::set<std::string, std::less<>> flags;  // the daemon's own flags given
  std::map<std::string, std::vector<std::string>, std::less<>> values;  // their values, if they take any

  bool has(std::string_view flag) const { return flags.contains(flag); }
  std::vector<std::string> values_of(std::string_view flag) const {
    auto it = values.find(flag);
    return it == values.end() ? std::vector<std::string>{} : it->second;
  }
};

// Parses argv. An unknown option, a missing value or a repeated -f where the
// daemon takes one file is an error whose message names the option.
Result<DaemonArgs> parse_daemon_args(const DaemonSpec& spec, int argc, const char* const* argv);

std::string daemon_usage(const DaemonSpec& spec);

// Writes the pid file; removes it when the returned guard is destroyed.
class PidFile {
 public:
  static Result<PidFile> create(std::string path);
  PidFile(PidFile&& other) noexcept : path_(std::move(other.path_)), pid_(other.pid_) { other.path_.clear(); }
  PidFile& operator=(PidFile&&) = delete;
  ~PidFile();

 private:
  PidFile(std::string path, int pid) : path_(std::move(path)), pid_(pid) {}
  std::string path_;
  int pid_ = 0;  // removed at exit only if it still names this process
};

}  // namespace tandem
