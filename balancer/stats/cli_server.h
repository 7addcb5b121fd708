#pragma once
// The `stats socket` listeners: unix stream sockets speaking the runtime API
// (cli.h), served on a thread of their own so a slow client never holds a
// worker. The socket file gets the configured mode, user and group; each
// connection starts at the socket's level.

#include <memory>
#include <thread>
#include <vector>

#include "balancer/config/model.h"
#include "balancer/stats/stats_source.h"
#include "common/error.h"

namespace tandem::balancer::stats {

class CliServer {
 public:
  // Binds every socket (as root, before privileges are dropped). A stale
  // socket file is replaced; anything else at the path is an error.
  static Result<std::unique_ptr<CliServer>> open(const config::Global& g, StatsProvider src);
  ~CliServer();

  void start();
  void stop();

 private:
  struct Impl;
  explicit CliServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
};

}  // namespace tandem::balancer::stats
