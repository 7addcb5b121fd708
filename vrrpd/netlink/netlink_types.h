#pragma once
// Interfaces and addresses as vrrpd sees them: plain values.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "vrrpd/ip_address.h"

namespace tandem::vrrpd::netlink {

using MacAddress = std::array<std::uint8_t, 6>;

struct LinkInfo {
  int ifindex = 0;
  std::string name;
  bool admin_up = false;  // IFF_UP
  bool carrier = false;   // IFF_RUNNING: the link is really there (cable, veth peer up)
  MacAddress mac{};
  std::vector<IpPrefix> addresses;  // usable ones: no tentative or failed IPv6 addresses

  bool usable() const { return admin_up && carrier; }
  bool operator==(const LinkInfo&) const = default;
};

// A VIP as the kernel needs it.
struct VipAssignment {
  IpPrefix prefix;
  int ifindex = 0;
  std::string label;  // IPv4 only; empty: none
  bool operator==(const VipAssignment&) const = default;
};

// The address adverts are sent from: the first IPv4 address of the interface
// that is not one of `ours` (a VIP must never become the router's identity),
// or for IPv6 its first link-local address (RFC 5798 §5.1.2.1).
IpAddress primary_address(const LinkInfo& link, bool ipv6, const std::vector<IpAddress>& ours);

}  // namespace tandem::vrrpd::netlink
