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

// Opens its sockets on first use: they need CAP_NET_RAW, and a daemon without
// it (an unprivileged test) must still start and report the failure when it
// matters.
class PacketAnnouncer final : public Announcer {
 public:
  PacketAnnouncer() = default;
  ~PacketAnnouncer() override;
  PacketAnnouncer(const PacketAnnouncer&) = delete;
  PacketAnnouncer& operator=(const PacketAnnouncer&) = delete;
  Result<void> announce(const Announcement& a) override;

 private:
  Result<void> open();
  Result<void> send_arp(const Announcement& a);
  Result<void> send_na(const Announcement& a);
  int arp_fd_ = -1;
  int icmp6_fd_ = -1;
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
