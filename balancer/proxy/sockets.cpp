#include "balancer/proxy/sockets.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

// mark_fresh writes the state flags of asio's reactive (epoll) socket
// service; another backend keeps them elsewhere.
#if defined(ASIO_HAS_IO_URING_AS_DEFAULT) || !defined(ASIO_HAS_EPOLL)
#error "sockets.cpp expects asio's epoll reactor"
#endif

namespace tandem::balancer::proxy {

using asio::ip::tcp;

namespace {

// asio keeps a socket's state flags in its implementation object, a
// protected member of basic_socket. A pointer to that member, formed in a
// derived class as the language allows, reaches it on any socket; no object
// of this class is ever made.
struct StateAccess : tcp::socket {
  static constexpr auto impl_member() { return &StateAccess::impl_; }
};

asio::error_code errno_code(int e) { return asio::error_code(e, asio::system_category()); }

}  // namespace

void mark_fresh(tcp::socket& s) {
  namespace ops = asio::detail::socket_ops;
  auto& impl = (s.*StateAccess::impl_member()).get_implementation();
  impl.state_ = static_cast<ops::state_type>((impl.state_ | ops::internal_non_blocking) & ~ops::possible_dup);
}

int accept_now(int listen_fd, tcp::endpoint& peer) {
  socklen_t len = static_cast<socklen_t>(peer.capacity());
  int fd = ::accept4(listen_fd, peer.data(), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) peer.resize(len);
  return fd;
}

void adopt_into(tcp::socket& s, tcp protocol, int fd, asio::error_code& ec) {
  s.assign(protocol, fd, ec);
  if (ec) {
    ::close(fd);
    return;
  }
  mark_fresh(s);
}

tcp::socket adopt_accepted(asio::io_context& io, int fd, const tcp::endpoint& peer, asio::error_code& ec) {
  tcp::socket s(io);
  adopt_into(s, peer.protocol(), fd, ec);
  return s;
}

bool local_end(int fd, tcp::endpoint& local) {
  socklen_t len = static_cast<socklen_t>(local.capacity());
  if (::getsockname(fd, local.data(), &len) != 0) return false;
  local.resize(len);
  return true;
}

std::optional<tcp::endpoint> fixed_local_end(int listen_fd, bool transparent) {
  if (transparent) return std::nullopt;
  tcp::endpoint ep;
  if (!local_end(listen_fd, ep)) return std::nullopt;
  if (ep.address().is_unspecified()) return std::nullopt;
  // A v6 listener bound to a v4-mapped address still names its
  // connections' local end in v6 form: getsockname would say the same.
  return ep;
}

void set_quickack(int fd, bool on) {
  int v = on ? 1 : 0;
  ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &v, sizeof v);
}

ConnectState start_connect(tcp::socket& s, const tcp::endpoint& ep, asio::error_code& ec) {
  int fd = ::socket(ep.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ec = errno_code(errno);
    return ConnectState::failed;
  }
  // Set before connecting: the same one call, and the request leaves at once.
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  s.assign(ep.protocol(), fd, ec);
  if (ec) {
    ::close(fd);
    return ConnectState::failed;
  }
  mark_fresh(s);
  if (::connect(fd, ep.data(), static_cast<socklen_t>(ep.size())) == 0) return ConnectState::connected;
  if (errno != EINPROGRESS) {
    ec = errno_code(errno);
    return ConnectState::failed;
  }
  return ConnectState::in_progress;
}

ConnectState poll_connect(tcp::socket& s, asio::error_code& ec) {
  pollfd p{s.native_handle(), POLLOUT, 0};
  if (::poll(&p, 1, 0) != 1) return ConnectState::in_progress;
  if (p.revents & (POLLERR | POLLHUP)) {
    ec = connect_result(s);
    if (!ec) ec = asio::error::connection_refused;
    return ConnectState::failed;
  }
  return (p.revents & POLLOUT) ? ConnectState::connected : ConnectState::in_progress;
}

asio::error_code connect_result(tcp::socket& s) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(s.native_handle(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno_code(errno);
  return err ? errno_code(err) : asio::error_code();
}

}  // namespace tandem::balancer::proxy
