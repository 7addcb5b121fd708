// The socket set-up of balancer/proxy/sockets.h (accept4 with the peer's
// address, the connect without asio's connect operation, the local end of a
// listener) and the kernel behaviour it relies on (TCP_NODELAY inherited
// from the listener).

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "balancer/proxy/sockets.h"

namespace tandem::balancer::proxy {
namespace {

using asio::ip::tcp;

// A listening socket on 127.0.0.1 (or `any`), port chosen by the kernel.
struct Listener {
  int fd = -1;
  tcp::endpoint ep;
  explicit Listener(bool any = false, bool nodelay = false) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (nodelay) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(any ? INADDR_ANY : INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd, 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ep = tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), ntohs(a.sin_port));
  }
  ~Listener() {
    if (fd >= 0) ::close(fd);
  }
};

// An IPPROTO_TCP option's value on `fd`.
int tcp_option(int fd, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  ::getsockopt(fd, IPPROTO_TCP, name, &v, &len);
  return v;
}

// What one asynchronous read on `s` brings (runs `io` until it completes).
std::string read_async(asio::io_context& io, tcp::socket& s) {
  char buf[8];
  std::size_t got = 0;
  s.async_read_some(asio::buffer(buf), [&](asio::error_code e, std::size_t n) {
    EXPECT_FALSE(e);
    got = n;
  });
  io.run();
  io.restart();
  return std::string(buf, got);
}

// An HTTP listener turns delayed ACKs on (quick ACKs off) once; its
// accepted sockets start that way, so a request's ACK rides on the response.
// A session turns quick ACKs back on when it waits for more bytes.
TEST(ProxySockets, AcceptedSocketsInheritQuickAckOffAndASessionCanTurnItBackOn) {
  asio::io_context io;
  Listener plain;
  tcp::socket c1(io);
  c1.connect(plain.ep);
  tcp::endpoint peer;
  int fd1 = accept_now(plain.fd, peer);
  ASSERT_GE(fd1, 0);
  EXPECT_EQ(tcp_option(fd1, TCP_QUICKACK), 1);  // the kernel's default: quick ACKs

  Listener http;
  set_quickack(http.fd, false);
  tcp::socket c2(io);
  c2.connect(http.ep);
  int fd2 = accept_now(http.fd, peer);
  ASSERT_GE(fd2, 0);
  EXPECT_EQ(tcp_option(fd2, TCP_QUICKACK), 0);
  set_quickack(fd2, true);
  EXPECT_EQ(tcp_option(fd2, TCP_QUICKACK), 1);
  ::close(fd1);
  ::close(fd2);
}

TEST(ProxySockets, AcceptNowGivesPeerAndANonBlockingSocketThatInheritsNodelay) {
  asio::io_context io;
  Listener l(false, /*nodelay=*/true);
  tcp::socket client(io);
  client.connect(l.ep);
  tcp::endpoint peer;
  int fd = accept_now(l.fd, peer);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(peer, client.local_endpoint());
  EXPECT_NE(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  // start_slot sets TCP_NODELAY on the listener only: Linux copies it into
  // every accepted socket.
  EXPECT_EQ(tcp_option(fd, TCP_NODELAY), 1);

  asio::error_code ec;
  tcp::socket s = adopt_accepted(io, fd, peer, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(s.remote_endpoint(), peer);
  // Asynchronous operations work on the adopted socket (asio was told it is
  // non-blocking already).
  asio::write(client, asio::buffer("ping", 4));
  EXPECT_EQ(read_async(io, s), "ping");
}

TEST(ProxySockets, AcceptNowOnAnEmptyBacklogSaysWouldBlock) {
  Listener l;
  ::fcntl(l.fd, F_SETFL, ::fcntl(l.fd, F_GETFL) | O_NONBLOCK);
  tcp::endpoint peer;
  EXPECT_EQ(accept_now(l.fd, peer), -1);
  EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK);
}

TEST(ProxySockets, FixedLocalEndOnlyForOneAddressAndNotTransparent) {
  Listener one;
  auto e = fixed_local_end(one.fd, false);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(*e, one.ep);
  EXPECT_FALSE(fixed_local_end(one.fd, true).has_value());  // TPROXY: other destinations
  Listener any(true);
  EXPECT_FALSE(fixed_local_end(any.fd, false).has_value());  // a wildcard: getsockname per connection
}

// Over loopback the handshake completes within connect(2), although a
// non-blocking connect says EINPROGRESS: one poll finds it done, and so does
// a first send (the dispatch's way, without the poll).
TEST(ProxySockets, StartConnectToALocalListenerIsDoneWhenConnectReturns) {
  asio::io_context io;
  Listener l;
  tcp::socket s(io);
  asio::error_code ec;
  ConnectState st = start_connect(s, l.ep, ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_NE(st, ConnectState::failed);
  if (st == ConnectState::in_progress) st = poll_connect(s, ec);
  EXPECT_EQ(st, ConnectState::connected);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(tcp_option(s.native_handle(), TCP_NODELAY), 1);
  EXPECT_NE(::fcntl(s.native_handle(), F_GETFL) & O_NONBLOCK, 0);
  // The server side sees it, and data flows.
  tcp::endpoint peer;
  int fd = accept_now(l.fd, peer);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(peer, s.local_endpoint());
  EXPECT_EQ(::send(fd, "pong", 4, 0), 4);
  EXPECT_EQ(read_async(io, s), "pong");
  ::close(fd);
}

TEST(ProxySockets, AFirstSendRightAfterConnectGoes) {
  asio::io_context io;
  Listener l;
  tcp::socket s(io);
  asio::error_code ec;
  ASSERT_NE(start_connect(s, l.ep, ec), ConnectState::failed) << ec.message();
  EXPECT_EQ(::send(s.native_handle(), "ping", 4, MSG_DONTWAIT | MSG_NOSIGNAL), 4) << std::strerror(errno);
  tcp::endpoint peer;
  int fd = accept_now(l.fd, peer);
  ASSERT_GE(fd, 0);
  char buf[8] = {};
  EXPECT_EQ(::recv(fd, buf, sizeof buf, 0), 4);
  EXPECT_EQ(std::string(buf, 4), "ping");
  ::close(fd);
}

// A refused connect shows in poll_connect, and to a first send as its error.
TEST(ProxySockets, StartConnectToAClosedPortFails) {
  tcp::endpoint closed;
  {
    Listener l;  // a port that was just free, closed again
    closed = l.ep;
  }
  for (bool by_send : {false, true}) {
    asio::io_context io;
    tcp::socket s(io);
    asio::error_code ec;
    ConnectState st = start_connect(s, closed, ec);
    if (st == ConnectState::in_progress && by_send) {
      ASSERT_LT(::send(s.native_handle(), "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL), 0);
      EXPECT_EQ(errno, ECONNREFUSED) << std::strerror(errno);
      continue;
    }
    if (st == ConnectState::in_progress) st = poll_connect(s, ec);
    if (st == ConnectState::in_progress) {
      s.async_wait(tcp::socket::wait_write, [](asio::error_code) {});
      io.run();
      ec = connect_result(s);
    } else {
      EXPECT_EQ(st, ConnectState::failed);
    }
    EXPECT_EQ(ec, asio::error::connection_refused) << ec.message();
  }
}

}  // namespace
}  // namespace tandem::balancer::proxy
