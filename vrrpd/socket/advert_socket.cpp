#include "vrrpd/socket/advert_socket.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "common/strings.h"
#include "vrrpd/packet/codec.h"

namespace tandem::vrrpd::socket {

struct RawAdvertSocket::Impl {
  Impl(asio::io_context& io, int fd, int ifindex, bool ipv6) : sd(io, fd), ifindex(ifindex), ipv6(ipv6) {}
  asio::posix::stream_descriptor sd;  // owns the descriptor
  int ifindex;
  bool ipv6;
  std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(65536);
};

namespace {

std::string sys_error(std::string_view what) { return cat(what, ": ", std::strerror(errno)); }

Result<void> opt(int fd, int level, int name, int value, std::string_view what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) < 0) return fail(sys_error(what));
  return {};
}

Result<void> setup_v4(int fd, int ifindex) {
  // RFC 5798 §5.1.1.3: "The TTL MUST be set to 255".
  if (auto r = opt(fd, IPPROTO_IP, IP_MULTICAST_TTL, packet::kTtl, "IP_MULTICAST_TTL"); !r) return r;
  if (auto r = opt(fd, IPPROTO_IP, IP_TTL, packet::kTtl, "IP_TTL"); !r) return r;
  if (auto r = opt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP"); !r) return r;
  // Only the groups joined on this socket: not those of other sockets.
  if (auto r = opt(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL"); !r) return r;
  ip_mreqn m{};
  m.imr_ifindex = ifindex;
  if (::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m) < 0) return fail(sys_error("IP_MULTICAST_IF"));
  std::memcpy(&m.imr_multiaddr, packet::multicast_group_v4().bytes().data(), 4);
  if (::setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) < 0) return fail(sys_error("joining 224.0.0.18"));
  return {};
}

Result<void> setup_v6(int fd, int ifindex) {
  // RFC 5798 §5.1.2.3: "The Hop Limit MUST be set to 255".
  if (auto r = opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, packet::kTtl, "IPV6_MULTICAST_HOPS"); !r) return r;
  if (auto r = opt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, packet::kTtl, "IPV6_UNICAST_HOPS"); !r) return r;
  if (auto r = opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP"); !r) return r;
  if (auto r = opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex, "IPV6_MULTICAST_IF"); !r) return r;
  if (auto r = opt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT"); !r) return r;
  if (auto r = opt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO"); !r) return r;
  ipv6_mreq m{};
  std::memcpy(&m.ipv6mr_multiaddr, packet::multicast_group_v6().bytes().data(), 16);
  m.ipv6mr_interface = static_cast<unsigned>(ifindex);
  if (::setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m) < 0) return fail(sys_error("joining ff02::12"));
  return {};
}

}  // namespace

Result<std::unique_ptr<RawAdvertSocket>> RawAdvertSocket::open(asio::io_context& io, const std::string& ifname,
                                                               int ifindex, bool ipv6) {
  int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, packet::kIpProtocol);
  if (fd < 0) return fail(sys_error("raw VRRP socket"));
  auto close_on_error = [fd](Error e) {
    ::close(fd);
    return std::unexpected(std::move(e));
  };
  // Bound to the interface: packets of other links never reach us.
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(), static_cast<socklen_t>(ifname.size())) < 0)
    return close_on_error(Error{sys_error(cat("binding to ", ifname))});
  int rcvbuf = 1 << 20;  // bursts of adverts (many instances) must not be lost while we are busy
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (auto r = ipv6 ? setup_v6(fd, ifindex) : setup_v4(fd, ifindex); !r) return close_on_error(r.error());
  std::unique_ptr<RawAdvertSocket> s(new RawAdvertSocket(std::make_unique<Impl>(io, fd, ifindex, ipv6)));
  s->arm();
  return s;
}

RawAdvertSocket::RawAdvertSocket(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RawAdvertSocket::~RawAdvertSocket() = default;

void RawAdvertSocket::arm() {
  impl_->sd.async_wait(asio::posix::stream_descriptor::wait_read, [this](asio::error_code ec) {
    if (ec) return;  // cancelled: the socket is closing
    drain();
    arm();
  });
}

void RawAdvertSocket::drain() {
  Impl& s = *impl_;
  for (;;) {
    sockaddr_in6 from{};
    alignas(cmsghdr) char control[256];
    iovec iov{s.buf.data(), s.buf.size()};
    msghdr mh{};
    mh.msg_name = &from;
    mh.msg_namelen = sizeof from;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(s.sd.native_handle(), &mh, 0);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        log::warning("VRRP socket: ", std::strerror(errno));
      if (errno == EINTR) continue;
      return;
    }
    std::span<const std::uint8_t> bytes(s.buf.data(), static_cast<std::size_t>(n));
    packet::Received rx;
    if (!s.ipv6) {
      // IPv4 raw sockets hand over the IP header: TTL and addresses come from it.
      auto d = packet::decode_ipv4(bytes);
      if (!d) continue;
      rx = {d->src, d->dst, d->ttl, d->payload};
    } else {
      rx.src =
          IpAddress::v6(std::span<const std::uint8_t, 16>(reinterpret_cast<const std::uint8_t*>(&from.sin6_addr), 16));
      rx.ttl = -1;
      for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != IPPROTO_IPV6) continue;
        if (c->cmsg_type == IPV6_HOPLIMIT) {
          int h = 0;
          std::memcpy(&h, CMSG_DATA(c), sizeof h);
          rx.ttl = h;
        } else if (c->cmsg_type == IPV6_PKTINFO) {
          in6_pktinfo pi{};
          std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
          rx.dst = IpAddress::v6(
              std::span<const std::uint8_t, 16>(reinterpret_cast<const std::uint8_t*>(&pi.ipi6_addr), 16));
        }
      }
      rx.vrrp = bytes;
    }
    if (receiver_) receiver_(rx);
  }
}

Result<void> RawAdvertSocket::send(const IpAddress& src, const IpAddress& dst, std::span<const std::uint8_t> vrrp) {
  Impl& s = *impl_;
  iovec iov{const_cast<std::uint8_t*>(vrrp.data()), vrrp.size()};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  sockaddr_in to4{};
  sockaddr_in6 to6{};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo))]{};
  mh.msg_control = control;
  cmsghdr* c = reinterpret_cast<cmsghdr*>(control);
  // The source is set per packet (IP_PKTINFO / IPV6_PKTINFO): the v3 checksum
  // covers it, so the kernel must not choose another (a VIP, say).
  if (!s.ipv6) {
    to4.sin_family = AF_INET;
    std::memcpy(&to4.sin_addr, dst.bytes().data(), 4);
    mh.msg_name = &to4;
    mh.msg_namelen = sizeof to4;
    in_pktinfo pi{};
    pi.ipi_ifindex = s.ifindex;
    std::memcpy(&pi.ipi_spec_dst, src.bytes().data(), 4);
    mh.msg_controllen = CMSG_SPACE(sizeof pi);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
  } else {
    to6.sin6_family = AF_INET6;
    std::memcpy(&to6.sin6_addr, dst.bytes().data(), 16);
    if (dst.is_link_local() || dst.is_multicast()) to6.sin6_scope_id = static_cast<std::uint32_t>(s.ifindex);
    mh.msg_name = &to6;
    mh.msg_namelen = sizeof to6;
    in6_pktinfo pi{};
    pi.ipi6_ifindex = static_cast<unsigned>(s.ifindex);
    std::memcpy(&pi.ipi6_addr, src.bytes().data(), 16);
    mh.msg_controllen = CMSG_SPACE(sizeof pi);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
  }
  if (::sendmsg(s.sd.native_handle(), &mh, 0) < 0) return fail(sys_error(cat("sending to ", dst.text())));
  return {};
}

}  // namespace tandem::vrrpd::socket
