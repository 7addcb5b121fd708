#include "balancer/proxy/io.h"

#include <asio/read.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "balancer/proxy/sockets.h"
#include "balancer/proxy/worker.h"
#include "balancer/tls/tls_conn.h"

namespace tandem::balancer::proxy {

void Side::expire(void* p) {
  auto* s = static_cast<Side*>(p);
  s->timed_out = true;
  if (s->socket) {
    asio::error_code ec;
    s->socket->cancel(ec);
  }
}

Side::~Side() {
  if (unregistered_fd >= 0) ::close(unregistered_fd);
}

asio::error_code Side::ensure_registered() {
  asio::error_code ec;
  if (unregistered_fd < 0) return ec;
  int fd = unregistered_fd;
  unregistered_fd = -1;
  adopt_into(*socket, socket_protocol, fd, ec);  // closes fd on failure
  return ec;
}

void Side::shutdown(int how) const {
  if (int d = fd(); d >= 0) ::shutdown(d, how);
}

void Side::close() {
  if (unregistered_fd >= 0) {
    ::close(unregistered_fd);
    unregistered_fd = -1;
  } else if (socket && socket->is_open()) {
    asio::error_code ec;
    socket->close(ec);
  }
}

void shut_down_now(const Side& s) { s.shutdown(SHUT_RDWR); }

namespace {
struct Armed {
  Armed(Worker& w, Side& s, Millis t) : side(s) {
    s.timed_out = false;
    if (t.count() > 0) w.arm(s.deadline, t);
  }
  ~Armed() { side.deadline.disarm(); }
  Side& side;
};

// TLS: OpenSSL does the socket I/O; we wait for the readiness it asks for.
// A wait is sound even when no read saw EAGAIN first: asio's async_wait
// (a non-speculative op) re-arms the descriptor with EPOLL_CTL_MOD, and the
// kernel then reports a socket that is already readable at once, so no edge
// consumed earlier can be missed. That MOD is also why waiting costs one
// syscall; read_some waits first only when a read would find nothing.
asio::awaitable<asio::error_code> tls_wait(Side& side, tls::Step step) {
  if (auto ec = side.ensure_registered()) co_return ec;
  auto what = step == tls::Step::want_write ? asio::ip::tcp::socket::wait_write : asio::ip::tcp::socket::wait_read;
  auto [ec] = co_await side.socket->async_wait(what, use_nothrow);
  co_return ec;
}

asio::error_code tls_error(tls::Step step) {
  return step == tls::Step::closed ? asio::error_code(asio::error::eof) : asio::error_code(asio::error::connection_reset);
}

asio::awaitable<IoResult> tls_write(Side& side, const void* data, std::size_t len) {
  for (;;) {
    tls::Op op = side.tls->write(data, len);
    if (op.step == tls::Step::done) co_return IoResult{{}, len, false};
    if (op.step == tls::Step::want_read || op.step == tls::Step::want_write) {
      if (auto ec = co_await tls_wait(side, op.step)) co_return IoResult{ec, 0, side.timed_out};
      continue;
    }
    co_return IoResult{tls_error(op.step), 0, false};
  }
}

// Head and body in one record when they fit: one write(2) for a small
// response. Only a single record may come from shared scratch memory: when
// the socket is full, OpenSSL keeps the encrypted record and the retry
// (same length) reads nothing from the buffer again.
constexpr std::size_t kTlsRecord = 16384;
thread_local unsigned char t_tls_scratch[kTlsRecord];


}  // namespace

// Writing before any asynchronous write: the socket almost always has
// room. It saves the completion's round trip through the io_context (an
// awaited asio operation completes by a posted handler even when its first
// attempt wrote everything), and the bytes leave now: a last response's FIN
// follows it at once instead of after whatever else the worker had queued,
// by which time the client has often closed first.
long send_now(int fd, asio::const_buffer a, asio::const_buffer b) {
  iovec iov[2] = {{const_cast<void*>(a.data()), a.size()}, {const_cast<void*>(b.data()), b.size()}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = b.size() ? 2 : 1;
  for (;;) {
    ssize_t n = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0 || errno != EINTR) return n;
  }
}

std::optional<IoResult> recv_now(int fd, asio::mutable_buffer buf) {
  for (;;) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n > 0) return IoResult{{}, static_cast<std::size_t>(n), false};
    if (n == 0) return IoResult{asio::error::eof, 0, false};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
    return IoResult{asio::error_code(errno, asio::error::get_system_category()), 0, false};
  }
}

asio::awaitable<IoResult> read_some(Worker& w, Side& side, asio::mutable_buffer buf, Millis timeout) {
  Armed armed(w, side, timeout);
  if (side.tls) {
    // We just answered (or asked): the peer's next bytes are a round trip
    // away. Wait first instead of a read(2) that would say EAGAIN.
    if (side.tls->peer_turn()) {
      if (auto ec = co_await tls_wait(side, tls::Step::want_read)) co_return IoResult{ec, 0, side.timed_out};
    }
    for (;;) {
      tls::Op op = side.tls->read(buf.data(), buf.size());
      if (op.step == tls::Step::done) co_return IoResult{{}, op.n, false};
      if (op.step == tls::Step::want_read || op.step == tls::Step::want_write) {
        if (auto ec = co_await tls_wait(side, op.step)) co_return IoResult{ec, 0, side.timed_out};
        continue;
      }
      co_return IoResult{tls_error(op.step), 0, false};
    }
  }
  if (auto ec = side.ensure_registered()) co_return IoResult{ec, 0, false};
  auto [ec, n] = co_await side.socket->async_read_some(buf, use_nothrow);
  co_return IoResult{ec, n, side.timed_out};
}

asio::awaitable<IoResult> write_all(Worker& w, Side& side, asio::const_buffer a, asio::const_buffer b, Millis timeout) {
  if (side.tls) {
    Armed armed(w, side, timeout);
    if (a.size() + b.size() <= kTlsRecord && a.size() && b.size()) {
      std::memcpy(t_tls_scratch, a.data(), a.size());
      std::memcpy(t_tls_scratch + a.size(), b.data(), b.size());
      co_return co_await tls_write(side, t_tls_scratch, a.size() + b.size());
    }
    IoResult r = co_await tls_write(side, a.data(), a.size());
    if (!r.ok()) co_return r;
    IoResult r2 = co_await tls_write(side, b.data(), b.size());
    r2.n += r.n;
    co_return r2;
  }
  const std::size_t total = a.size() + b.size();
  if (total == 0) co_return IoResult{};
  std::size_t sent = 0;
  {
    ssize_t n = send_now(side.fd(), a, b);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        co_return IoResult{asio::error_code(errno, asio::error::get_system_category()), 0, false};
    } else {
      sent = static_cast<std::size_t>(n);
    }
    if (sent == total) co_return IoResult{{}, total, false};
  }
  // The socket is full: the rest waits for room, within the timeout.
  if (sent >= a.size()) {
    b += sent - a.size();
    a = asio::const_buffer();
  } else {
    a += sent;
  }
  if (auto ec = side.ensure_registered()) co_return IoResult{ec, sent, false};
  Armed armed(w, side, timeout);
  std::array<asio::const_buffer, 2> bufs{a, b};
  auto [ec, n] = co_await asio::async_write(*side.socket, bufs, use_nothrow);
  co_return IoResult{ec, sent + n, side.timed_out};
}

asio::awaitable<IoResult> tls_handshake(Worker& w, Side& side, Millis timeout) {
  Armed armed(w, side, timeout);
  for (;;) {
    tls::Op op = side.tls->handshake();
    if (op.step == tls::Step::done) co_return IoResult{};
    if (op.step == tls::Step::want_read || op.step == tls::Step::want_write) {
      if (auto ec = co_await tls_wait(side, op.step)) co_return IoResult{ec, 0, side.timed_out};
      continue;
    }
    co_return IoResult{tls_error(op.step), 0, false};
  }
}

asio::awaitable<IoResult> wait_readable(Worker& w, Side& side, Millis timeout) {
  if (side.tls && side.tls->pending()) co_return IoResult{};
  if (auto ec = side.ensure_registered()) co_return IoResult{ec, 0, false};
  Armed armed(w, side, timeout);
  auto [ec] = co_await side.socket->async_wait(asio::ip::tcp::socket::wait_read, use_nothrow);
  co_return IoResult{ec, 0, side.timed_out};
}

}  // namespace tandem::balancer::proxy
