#pragma once
// VRRP advertisements to and from bytes. Pure: no sockets, no clock, no
// globals; a decoder returns a value or the reason the bytes are not one.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/error.h"
#include "vrrpd/packet/packet_types.h"

namespace tandem::vrrpd::packet {

// An IPv4 datagram as a raw IPPROTO_VRRP socket hands it over (header included).
struct Ipv4Datagram {
  IpAddress src;
  IpAddress dst;
  int ttl = 0;
  std::uint8_t protocol = 0;
  std::span<const std::uint8_t> payload;  // within the input, up to the header's total length
};

// Checks version 4, header length, total length and that the payload is VRRP.
Result<Ipv4Datagram, DropReason> decode_ipv4(std::span<const std::uint8_t> datagram);

// The VRRP packet (after the IP header) for `a`, checksum included. `src` and
// `dst` are the IP addresses it will travel with: the v3 checksum covers them.
std::vector<std::uint8_t> encode(const Advert& a, const IpAddress& src, const IpAddress& dst,
                                 ChecksumMode mode = ChecksumMode::rfc);

// Parses the structure of a VRRP packet: version 2 or 3 (2 only over IPv4),
// type advertisement, a non-zero address count, and exactly as many bytes as
// that count implies (RFC 5798 §7.1: "contains the complete VRRP packet").
// The checksum and everything that depends on the local configuration are
// checked by check_received().
Result<Advert, DropReason> decode(std::span<const std::uint8_t> vrrp, bool ipv6);

// The VRID, for dispatching a packet to its instance before decoding it.
std::optional<std::uint8_t> peek_vrid(std::span<const std::uint8_t> vrrp);

// The checksum `vrrp` should carry (its own checksum field is ignored).
std::uint16_t compute_checksum(std::span<const std::uint8_t> vrrp, int version, const IpAddress& src,
                               const IpAddress& dst, ChecksumMode mode);

}  // namespace tandem::vrrpd::packet
