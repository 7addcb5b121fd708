#pragma once
// The frames that move neighbours' caches to us: pure builders.

#include <cstdint>
#include <vector>

#include "vrrpd/ip_address.h"
#include "vrrpd/netlink/netlink_types.h"

namespace tandem::vrrpd::arp {

inline constexpr std::uint16_t kEtherTypeArp = 0x0806;
inline constexpr std::size_t kMinEthernetFrame = 60;  // 802.3 minimum without FCS

// A gratuitous ARP as an Ethernet frame to the broadcast address: an ARP
// request whose sender and target protocol addresses are both `vip` (RFC 5227
// §2.4 "ARP Announcement"; RFC 5798 §6.4.2 asks for one on becoming master).
std::vector<std::uint8_t> gratuitous_arp(const netlink::MacAddress& mac, const IpAddress& vip);

// An unsolicited Neighbor Advertisement for `vip` (RFC 4861 §4.4 and §7.2.6,
// RFC 5798 §6.4.2): the ICMPv6 message without the IPv6 header; Override set,
// Solicited clear, the target link-layer address option carrying `mac`. The
// checksum is left 0: the kernel computes ICMPv6 checksums for raw sockets.
std::vector<std::uint8_t> unsolicited_na(const netlink::MacAddress& mac, const IpAddress& vip, bool router);

}  // namespace tandem::vrrpd::arp
