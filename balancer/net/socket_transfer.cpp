#include "balancer/net/socket_transfer.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/strings.h"

namespace tandem::balancer::net {

namespace {

constexpr std::string_view kEnd = ".\n";

Result<void> send_one(int conn, std::string_view data, int fd) {
  iovec iov{const_cast<char*>(data.data()), data.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  for (;;) {
    ssize_t n = ::sendmsg(conn, &msg, MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(data.size())) return {};
    if (n < 0 && errno == EINTR) continue;
    return fail(cat("sending a listening socket: ", n < 0 ? std::strerror(errno) : "short write"));
  }
}

void close_all(std::vector<PassedSocket>& v) {
  for (auto& s : v)
    if (s.fd >= 0) ::close(s.fd);
  v.clear();
}

}  // namespace

Result<void> send_sockets(int conn, const std::vector<PassedSocket>& sockets) {
  for (const PassedSocket& s : sockets) {
    if (s.identity.find('\n') != std::string::npos || s.identity == ".") return fail("bad socket identity");
    if (auto r = send_one(conn, cat(s.identity, '\n'), s.fd); !r) return r;
  }
  return send_one(conn, kEnd, -1);
}

Result<std::vector<PassedSocket>> receive_sockets(int conn) {
  std::vector<PassedSocket> out;
  std::string pending;  // data not yet paired with a line end
  std::vector<int> fds;  // descriptors received, in order
  for (;;) {
    char buf[4096];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)] = {};
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        fds.push_back(fd);
      }
    }
    if (n <= 0 || (msg.msg_flags & MSG_CTRUNC)) {
      for (int fd : fds) ::close(fd);
      close_all(out);
      if (msg.msg_flags & MSG_CTRUNC) return fail("receiving listening sockets: too many descriptors at once");
      return fail(n < 0 ? cat("receiving listening sockets: ", std::strerror(errno))
                        : std::string("receiving listening sockets: the old process closed the connection early"));
    }
    pending.append(buf, static_cast<std::size_t>(n));
    std::size_t eol;
    while ((eol = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, eol);
      pending.erase(0, eol + 1);
      if (line == ".") {
        if (!fds.empty() || !pending.empty()) {
          for (int fd : fds) ::close(fd);
          close_all(out);
          return fail("receiving listening sockets: descriptors and names do not match");
        }
        return out;
      }
      if (fds.empty()) {
        close_all(out);
        return fail(cat("receiving listening sockets: no descriptor came with '", line, "'"));
      }
      out.push_back({line, fds.front()});
      fds.erase(fds.begin());
    }
  }
}

Result<std::vector<PassedSocket>> fetch_sockets(const std::string& path) {
  int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return fail(cat("socket: ", std::strerror(errno)));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) {
    ::close(s);
    return fail(cat(path, ": path too long"));
  }
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    int e = errno;
    ::close(s);
    return fail(cat("cannot connect to ", path, ": ", std::strerror(e)));
  }
  timeval tv{10, 0};  // an old process that never answers must not hang the new one
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  constexpr std::string_view ask = "_getsocks\n";
  if (::send(s, ask.data(), ask.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(ask.size())) {
    int e = errno;
    ::close(s);
    return fail(cat("cannot ask ", path, " for its listeners: ", std::strerror(e)));
  }
  auto r = receive_sockets(s);
  ::close(s);
  if (!r) return fail(cat(path, ": ", r.error().message));
  return r;
}

}  // namespace tandem::balancer::net
