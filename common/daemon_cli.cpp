#include "common/daemon_cli.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/strings.h"

namespace tandem {

Result<DaemonArgs> parse_daemon_args(const DaemonSpec& spec, int argc, const char* const* argv) {
  DaemonArgs args;
  auto value = [&](int& i, std::string_view opt) -> Result<std::string> {
    if (i + 1 >= argc) return fail(cat("option ", opt, " needs a value"));
    return std::string(argv[++i]);
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-f") {
      auto v = value(i, a);
      if (!v) return std::unexpected(v.error());
      if (!spec.multiple_configs && !args.config_files.empty())
        return fail(cat(spec.name, " reads one configuration file; -f given twice"));
      args.config_files.push_back(*v);
    } else if (a == "-c") {
      args.check_only = true;
    } else if (a == "-p") {
      auto v = value(i, a);
      if (!v) return std::unexpected(v.error());
      args.pidfile = *v;
    } else if (a == "--admin-socket") {
      auto v = value(i, a);
      if (!v) return std::unexpected(v.error());
      args.admin_socket = *v;
      args.admin_socket_given = true;
    } else if (a == "--log-level") {
      auto v = value(i, a);
      if (!v) return std::unexpected(v.error());
      args.log_level = *v;
    } else if (a == "--version" || a == "-v" || a == "-vv") {
      args.show_version = true;
    } else if (a == "-h" || a == "--help") {
      args.show_help = true;
    } else {
      const DaemonFlag* flag = nullptr;
      for (const auto& f : spec.flags)
        if (a == f.name) flag = &f;
      if (!flag) return fail(cat("unknown option '", a, "' (see ", spec.name, " -h)"));
      args.flags.emplace(a);
      if (flag->value.empty()) continue;
      auto& vals = args.values[std::string(a)];
      if (flag->value.ends_with("...")) {
        while (i + 1 < argc && argv[i + 1][0] != '-') vals.emplace_back(argv[++i]);
        if (vals.empty()) return fail(cat("option ", a, " needs at least one ", flag->value.substr(0, flag->value.size() - 3)));
      } else {
        auto v = value(i, a);
        if (!v) return std::unexpected(v.error());
        vals.push_back(*v);
      }
    }
  }
  if (args.config_files.empty()) args.config_files.emplace_back(spec.default_config);
  if (args.admin_socket.empty()) args.admin_socket = spec.default_socket;
  return args;
}

std::string daemon_usage(const DaemonSpec& spec) {
  std::string u = cat("Usage: ", spec.name, " [options]\n", spec.summary, "\n\nOptions:\n");
  append(u, "  -f FILE              configuration file", spec.multiple_configs ? " (repeatable)" : "",
         " [default: ", spec.default_config, "]\n");
  append(u, "  -c                   check the configuration and exit (0 valid, 1 invalid)\n");
  append(u, "  -p PIDFILE           write the process id to PIDFILE\n");
  append(u, "  --admin-socket PATH  gRPC admin socket [default: ", spec.default_socket, "]\n");
  append(u, "  --log-level LEVEL    emerg alert crit err warning notice info debug [default: info]\n");
  for (const auto& f : spec.flags) {
    std::string name = f.value.empty() ? std::string(f.name) : cat(f.name, ' ', f.value);
    name.resize(std::max<size_t>(name.size() + 1, 21), ' ');
    append(u, "  ", name, f.help, '\n');
  }
  append(u, "  --version            print the version and exit\n");
  append(u, "  -h, --help           print this help and exit\n");
  return u;
}

Result<PidFile> PidFile::create(std::string path) {
  // Written beside and renamed over: a reader never sees a half-written file.
  std::string tmp = cat(path, ".tmp.", static_cast<int>(getpid()));
  FILE* f = std::fopen(tmp.c_str(), "we");
  if (!f) return fail(cat("cannot write pid file ", path, ": ", std::strerror(errno)));
  std::fprintf(f, "%d\n", static_cast<int>(getpid()));
  if (std::fclose(f) != 0 || std::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return fail(cat("cannot write pid file ", path, ": ", std::strerror(e)));
  }
  return PidFile(std::move(path), static_cast<int>(getpid()));
}

PidFile::~PidFile() {
  if (path_.empty()) return;
  // A process that replaced this one (balancer -sf) wrote its own pid there.
  FILE* f = std::fopen(path_.c_str(), "re");
  int pid = 0;
  if (f) {
    if (std::fscanf(f, "%d", &pid) != 1) pid = 0;
    std::fclose(f);
  }
  if (pid == pid_) ::unlink(path_.c_str());
}

}  // namespace tandem
