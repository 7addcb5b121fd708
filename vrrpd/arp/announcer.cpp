#include "vrrpd/arp/announcer.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/strings.h"
#include "vrrpd/arp/frames.h"

namespace tandem::vrrpd::arp {

namespace {

std::string sys_error(std::string_view what) { return cat(what, ": ", std::strerror(errno)); }

}  // namespace

Result<void> PacketAnnouncer::open() {
  if (arp_fd_ >= 0) return {};
  // Protocol 0: a sending-only packet socket receives nothing.
  int arp = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (arp < 0) return fail(sys_error("AF_PACKET socket"));
  int icmp = ::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (icmp < 0) {
    ::close(arp);
    return fail(sys_error("ICMPv6 socket"));
  }
  // RFC 4861 §7.2.6/§7.1.2: neighbour discovery travels with hop limit 255.
  int hops = 255;
  ::setsockopt(icmp, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops);
  ::setsockopt(icmp, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops);
  int loop = 0;
  ::setsockopt(icmp, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop, sizeof loop);
  // This socket only sends: filter out every ICMPv6 type on receive.
  struct icmp6_filter_all {
    std::uint32_t data[8];
  } block{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}};
  ::setsockopt(icmp, IPPROTO_ICMPV6, 1 /* ICMP6_FILTER */, &block, sizeof block);
  arp_fd_ = arp;
  icmp6_fd_ = icmp;
  return {};
}

PacketAnnouncer::~PacketAnnouncer() {
  if (arp_fd_ >= 0) ::close(arp_fd_);
  if (icmp6_fd_ >= 0) ::close(icmp6_fd_);
}

Result<void> PacketAnnouncer::announce(const Announcement& a) {
  if (auto r = open(); !r) return r;
  return a.vip.is_v6() ? send_na(a) : send_arp(a);
}

Result<void> PacketAnnouncer::send_arp(const Announcement& a) {
  auto frame = gratuitous_arp(a.mac, a.vip);
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_ARP);
  to.sll_ifindex = a.ifindex;
  to.sll_halen = 6;
  std::memset(to.sll_addr, 0xff, 6);
  if (::sendto(arp_fd_, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
    return fail(sys_error(cat("gratuitous ARP for ", a.vip.text())));
  return {};
}

Result<void> PacketAnnouncer::send_na(const Announcement& a) {
  if (a.source.is_unspecified()) return fail(cat("unsolicited NA for ", a.vip.text(), ": no link-local address yet"));
  auto msg = unsolicited_na(a.mac, a.vip, false);
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  ::inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);  // RFC 4861 §7.2.6: all-nodes
  to.sin6_scope_id = static_cast<std::uint32_t>(a.ifindex);
  in6_pktinfo info{};
  std::memcpy(&info.ipi6_addr, a.source.bytes().data(), 16);
  info.ipi6_ifindex = static_cast<unsigned>(a.ifindex);
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof info)]{};
  iovec iov{msg.data(), msg.size()};
  msghdr mh{};
  mh.msg_name = &to;
  mh.msg_namelen = sizeof to;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof info);
  std::memcpy(CMSG_DATA(c), &info, sizeof info);
  if (::sendmsg(icmp6_fd_, &mh, 0) < 0) return fail(sys_error(cat("unsolicited NA for ", a.vip.text())));
  return {};
}

}  // namespace tandem::vrrpd::arp
