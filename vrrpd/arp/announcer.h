#pragma once
// Telling the LAN that a VIP lives here now: gratuitous ARP for IPv4 (over
// AF_PACKET), unsolicited Neighbor Advertisements for IPv6 (over a raw ICMPv6
// socket). An interface with a fake beside it.

#include <memory>
#include <vector>

#include "common/error.h"
#include "vrrpd/netlink/netlink_types.h"

namespace tandem::vrrpd::arp {

struct Announcement {
  int ifindex = 0;
  netlink::MacAddress mac{};
  IpAddress vip;
  IpAddress source;  // IPv6: the link-local address the NA comes from
  bool operator==(const Announcement&) const = default;
};

class Announcer {
 public:
  virtual ~Announcer() = default;
  virtual Result<void> announce(const Announcement& a) = 0;
};

class PacketAnnouncer final : public Announcer {
 public:
  static Result<std::unique_ptr<PacketAnnouncer>> create();
  ~PacketAnnouncer() override;
  Result<void> announce(const Announcement& a) override;

 private:
  PacketAnnouncer(int arp_fd, int icmp6_fd) : arp_fd_(arp_fd), icmp6_fd_(icmp6_fd) {}
  Result<void> send_arp(const Announcement& a);
  Result<void> send_na(const Announcement& a);
  int arp_fd_;
  int icmp6_fd_;
};

class FakeAnnouncer final : public Announcer {
 public:
  Result<void> announce(const Announcement& a) override {
    sent.push_back(a);
    return {};
  }
  std::vector<Announcement> sent;
};

}  // namespace tandem::vrrpd::arp
