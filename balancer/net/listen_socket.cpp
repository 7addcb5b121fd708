#include "balancer/net/listen_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/strings.h"

namespace tandem::balancer::net {

namespace {
std::string where(const config::Bind& b) { return cat(b.origin.where(), ": bind ", b.text()); }
}  // namespace

std::string listener_identity(const config::Bind& b) {
  return cat(b.text(), b.transparent ? " transparent" : "", b.ipv6 && b.v4v6 ? " v4v6" : "");
}

Result<int> open_listen_socket(const config::Bind& b, int backlog) {
  int family = b.ipv6 ? AF_INET6 : AF_INET;
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(cat(where(b), ": socket: ", std::strerror(errno)));
  auto bail = [&](std::string_view what) {
    int e = errno;
    ::close(fd);
    return fail(cat(where(b), ": ", what, ": ", std::strerror(e)));
  };
  int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) return bail("SO_REUSEADDR");
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) return bail("SO_REUSEPORT");
  // IP_FREEBIND applies to IPv6 sockets too (it sets the socket's shared
  // inet flag).
  if (::setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one) != 0) return bail("IP_FREEBIND");
  if (b.transparent && ::setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof one) != 0)
    return bail("IP_TRANSPARENT (needs CAP_NET_ADMIN)");
  if (b.ipv6) {
    int v6only = b.v4v6 ? 0 : 1;
    if (::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) != 0) return bail("IPV6_V6ONLY");
  }
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (b.ipv6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(b.port);
    if (inet_pton(AF_INET6, b.address.empty() ? "::" : b.address.c_str(), &a->sin6_addr) != 1)
      return bail("bad IPv6 address");
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(b.port);
    if (b.address.empty()) a->sin_addr.s_addr = htonl(INADDR_ANY);
    else if (inet_pton(AF_INET, b.address.c_str(), &a->sin_addr) != 1) return bail("bad IPv4 address");
    len = sizeof *a;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return bail("cannot bind");
  if (::listen(fd, b.backlog ? static_cast<int>(b.backlog) : backlog) != 0) return bail("cannot listen");
  return fd;
}

Result<int> dup_inherited_listener(const config::Bind& b) {
  int fd = b.inherited_fd;
  int type = 0, listening = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
    return fail(cat(where(b), ": descriptor ", fd, " is not a socket: ", std::strerror(errno)));
  len = sizeof listening;
  if (type != SOCK_STREAM || ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening)
    return fail(cat(where(b), ": descriptor ", fd, " is not a listening TCP socket"));
  int d = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (d < 0) return fail(cat(where(b), ": dup: ", std::strerror(errno)));
  int flags = ::fcntl(d, F_GETFL);
  ::fcntl(d, F_SETFL, flags | O_NONBLOCK);
  return d;
}

}  // namespace tandem::balancer::net
