#pragma once
// Handing listening sockets from a running balancer to its replacement (a
// binary upgrade), as HAProxy's `-x` does: the new process asks the old one's
// stats socket (`expose-fd listeners`) for `_getsocks`, receives every
// listening socket with its identity (net::listener_identity), and accepts on
// the very same sockets, so that no connection waiting in a queue is lost when
// the old process stops accepting.
//
// Wire format on the unix stream socket: one message per socket, its
// identity and '\n' as data with the descriptor attached (SCM_RIGHTS), then
// ".\n" with none. Linux never returns data from two descriptor-carrying
// messages in one recvmsg, so each read pairs one identity with one socket.

#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace tandem::balancer::net {

struct PassedSocket {
  std::string identity;
  int fd = -1;
};

// Sends `sockets` (duplicated by the kernel: the sender keeps its own) on
// the connected unix socket `conn`.
Result<void> send_sockets(int conn, const std::vector<PassedSocket>& sockets);

// Reads what send_sockets sent. The caller owns the descriptors.
Result<std::vector<PassedSocket>> receive_sockets(int conn);

// Connects to the stats socket at `path`, asks `_getsocks`, and returns the
// sockets received.
Result<std::vector<PassedSocket>> fetch_sockets(const std::string& path);

}  // namespace tandem::balancer::net
