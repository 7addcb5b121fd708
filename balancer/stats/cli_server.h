#pragma once
// The `stats socket` listeners: unix stream sockets speaking the runtime API
// (cli.h), served on a thread of their own so a slow client never holds a
// worker. The socket file gets the configured mode, user and group; each
// connection starts at the socket's level.

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "balancer/config/model.h"
#include "balancer/net/socket_transfer.h"
#include "balancer/stats/stats_source.h"
#include "common/error.h"

namespace tandem::balancer::stats {

class CliServer {
 public:
  // Binds every socket (as root, before privileges are dropped). A stale
  // socket file is replaced; anything else at the path is an error.
  static Result<std::unique_ptr<CliServer>> open(const config::Global& g, StatsProvider src);
  ~CliServer();

  // What `_getsocks` hands over on a socket with `expose-fd listeners` and
  // level admin (a binary upgrade: the new process's -x). Before start().
  using SocketSource = std::function<std::vector<net::PassedSocket>()>;
  void set_socket_source(SocketSource s);

  void start();
  void stop();

 private:
  struct Impl;
  explicit CliServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
};

}  // namespace tandem::balancer::stats
