#pragma once
// The part of a daemon's life every Tandem daemon shares: its admin socket
// (gRPC + grpc.health.v1), its pid file, its signals and sd_notify, around a
// control io_context that runs on the main thread until SIGTERM/SIGINT.

#include <asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/daemon_cli.h"
#include "common/error.h"
#include "common/grpc/admin_server.h"
#include "common/signals.h"

namespace tandem {

class DaemonRuntime {
 public:
  struct Options {
    std::string name;                      // for log lines
    const DaemonArgs* args = nullptr;      // admin socket, pid file
    std::vector<grpc::Service*> services;  // served on the admin socket
    std::set<std::string> health_names;
    // A new process replacing a running one (the balancer's -sf): the admin
    // socket is taken over even though the old process still answers on it.
    bool take_over_socket = false;
    // SIGUSR1 stops softly (Hooks::soft_stop); otherwise it keeps its default action.
    bool soft_stop = false;
  };

  struct Hooks {
    std::function<void()> reload;  // SIGHUP, on the control thread; unset: logged and ignored
    std::function<void()> soft_stop;  // SIGUSR1, on the control thread; unset: not handled
    std::function<void()> stop;    // SIGTERM/SIGINT, before the loop ends; the daemon's own cleanup
  };

  // Starts the admin server and writes the pid file.
  static Result<std::unique_ptr<DaemonRuntime>> start(Options options);
  ~DaemonRuntime();

  asio::io_context& io() { return io_; }
  AdminServer& admin() { return *admin_; }
  HealthService& health() { return admin_->health(); }

  // Tells systemd READY=1 and runs the control loop until a stop signal or
  // stop(); then STOPPING=1, the stop hook, and the admin server's shutdown.
  void run(Hooks hooks);

  // Ends run() from any thread.
  void stop();

 private:
  DaemonRuntime() : io_(1) {}

  std::string name_;
  asio::io_context io_;
  std::unique_ptr<AdminServer> admin_;
  std::optional<SignalHandler> signals_;  // from start(): signals wait for run()
  std::optional<PidFile> pidfile_;
};

}  // namespace tandem
