#pragma once
// RFC 5798 §7.1 (and RFC 3768 §7.1 for version 2): what a received packet must
// pass before the state machine sees it. A packet that fails changes nothing;
// the caller counts and logs the reason.

#include <span>
#include <vector>

#include "common/error.h"
#include "vrrpd/packet/packet_types.h"

namespace tandem::vrrpd::packet {

// A VRRP packet as the socket received it.
struct Received {
  IpAddress src;
  IpAddress dst;
  int ttl = 0;                         // IPv4 TTL or IPv6 hop limit
  std::span<const std::uint8_t> vrrp;  // the bytes after the IP header
};

// What one instance expects, from its configuration.
struct LocalView {
  int version = 3;
  std::uint8_t vrid = 0;
  bool ipv6 = false;
  std::vector<IpAddress> vips;      // the addresses it advertises
  V2Auth auth_type = V2Auth::none;  // v2
  std::array<std::uint8_t, kV2AuthLen> auth{};
  std::uint16_t v2_interval_s = 1;  // v2: the configured Adver Int
  ChecksumMode checksum_mode = ChecksumMode::rfc;
  bool unicast = false;
  std::vector<IpAddress> unicast_peers;
  IpAddress self;  // the source our own adverts carry
};

// Decodes and checks a packet for this instance; the advert, or why not.
Result<Advert, DropReason> check_received(const Received& rx, const LocalView& local);

}  // namespace tandem::vrrpd::packet
