#pragma once
// Socket I/O with inactivity timeouts, for the sessions. Errors are values
// (asio::error_code), never exceptions; every wait on a peer has a deadline.

#include <array>
#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <optional>

#include "balancer/net/deadlines.h"

namespace tandem::balancer::tls {
class TlsConn;
}

namespace tandem::balancer::proxy {

class Worker;

inline constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

using Millis = std::chrono::milliseconds;

// One side of a session (client or server): the socket, and the deadline
// that cancels its operations when the peer stays silent too long.
struct Side {
  Side() = default;
  Side(const Side&) = delete;
  Side& operator=(const Side&) = delete;
  ~Side();

  asio::ip::tcp::socket* socket = nullptr;
  // A plain client connection reaches the worker's reactor (EPOLL_CTL_ADD,
  // asio's per-descriptor state) only when an operation must wait: most
  // close-mode clients never do (their request is there at accept, their
  // response fits the socket), as with HAProxy. Until then the side owns
  // the descriptor here, and `socket` is not open.
  int unregistered_fd = -1;
  asio::ip::tcp socket_protocol = asio::ip::tcp::v4();

  // The descriptor, registered or not (-1: none).
  int fd() const { return unregistered_fd >= 0 ? unregistered_fd : (socket && socket->is_open() ? socket->native_handle() : -1); }
  // Hands an unregistered descriptor to `socket` (no-op once done); every
  // asynchronous operation on the socket comes after this.
  asio::error_code ensure_registered();
  // shutdown(2) on the descriptor, registered or not (SHUT_WR, SHUT_RDWR).
  void shutdown(int how) const;
  // Closes the descriptor, registered or not.
  void close();
  // Set when the side speaks TLS: reads and writes go through it (it
  // reads and writes the socket itself), and waits are for its readiness.
  tls::TlsConn* tls = nullptr;
  bool timed_out = false;
  net::Deadline deadline{&Side::expire, this};

  static void expire(void* p);
};

struct IoResult {
  asio::error_code ec;
  std::size_t n = 0;
  bool timed_out = false;
  bool ok() const { return !ec; }
};

// Reads what is available (at least one byte) into `buf`. A zero timeout means none.
asio::awaitable<IoResult> read_some(Worker& w, Side& side, asio::mutable_buffer buf, Millis timeout);

// One non-blocking sendmsg of up to two buffers, whatever the socket's mode
// (MSG_DONTWAIT, MSG_NOSIGNAL): the bytes written, possibly fewer than asked,
// or -1 with errno (EAGAIN: no room now).
long send_now(int fd, asio::const_buffer a, asio::const_buffer b = {});

// One non-blocking recv on a plain socket, for when bytes are most likely
// there already (a connection just accepted, a parked one that became
// readable): no trip through the reactor. nullopt when nothing is there yet
// (read_some then waits); an error or EOF (ec = eof) otherwise.
std::optional<IoResult> recv_now(int fd, asio::mutable_buffer buf);

// Writes every byte of up to two buffers (one writev when it can). A plain
// socket is written at once when it has room (send_now); only the rest
// waits, within `timeout`.
asio::awaitable<IoResult> write_all(Worker& w, Side& side, asio::const_buffer a, asio::const_buffer b, Millis timeout);

// Runs a TLS handshake on side.tls to its end. On failure, ec is set and
// side.tls->error() says why.
asio::awaitable<IoResult> tls_handshake(Worker& w, Side& side, Millis timeout);

// Waits until the socket is readable, holding no buffer (idle keep-alive).
asio::awaitable<IoResult> wait_readable(Worker& w, Side& side, Millis timeout);

// Ends a connection now (hard-stop-after): shuts the socket down both ways
// but never closes it, so no descriptor can be reused under its session,
// which unwinds through its ordinary error paths on its next wake-up.
// Null or closed sockets are skipped.
inline void shut_down_now(asio::ip::tcp::socket* s) {
  asio::error_code ec;
  if (s && s->is_open()) s->shutdown(asio::ip::tcp::socket::shutdown_both, ec);
}
void shut_down_now(const Side& s);

// The optional timeout as a duration, 0 meaning none.
inline Millis or_none(const std::optional<Millis>& t) { return t ? *t : Millis(0); }

}  // namespace tandem::balancer::proxy
