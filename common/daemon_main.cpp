#include "common/daemon_main.h"

#include <cstdio>

#include "common/log.h"
#include "common/version.h"

namespace tandem {

Result<DaemonArgs, int> begin_daemon(const DaemonSpec& spec, int argc, const char* const* argv) {
  auto args = parse_daemon_args(spec, argc, argv);
  if (!args) {
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(spec.name.size()), spec.name.data(),
                 args.error().message.c_str());
    return std::unexpected(kExitUsage);
  }
  if (args->show_help) {
    std::fputs(daemon_usage(spec).c_str(), stdout);
    return std::unexpected(kExitOk);
  }
  if (args->show_version) {
    std::printf("%.*s %s\n", static_cast<int>(spec.name.size()), spec.name.data(), kVersion);
    return std::unexpected(kExitOk);
  }
  log::Options opts;
  opts.ident = std::string(spec.name);
  if (!args->log_level.empty()) {
    auto level = log::parse_level(args->log_level);
    if (!level) {
      std::fprintf(stderr, "%.*s: unknown log level '%s'\n", static_cast<int>(spec.name.size()), spec.name.data(),
                   args->log_level.c_str());
      return std::unexpected(kExitUsage);
    }
    opts.level = *level;
  }
  log::init(opts);
  return std::move(*args);
}

std::optional<int> finish_config_check(const DaemonSpec&, const DaemonArgs& args, const Result<void>& loaded) {
  if (!loaded) {
    std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
    return kExitConfig;
  }
  if (args.check_only) {
    std::puts("Configuration file is valid");
    return kExitOk;
  }
  return std::nullopt;
}

}  // namespace tandem
