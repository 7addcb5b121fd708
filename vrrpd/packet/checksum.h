#pragma once
// The Internet checksum (RFC 1071), and the pseudo-headers VRRPv3 covers
// (RFC 5798 §5.2.8: IPv4 as in RFC 768, IPv6 as in RFC 8200 §8.1).

#include <cstdint>
#include <span>

#include "vrrpd/ip_address.h"

namespace tandem::vrrpd::packet {

// Adds bytes to a running one's-complement sum (not yet folded). Spans after
// the first must start at an even offset of the checksummed data.
std::uint32_t checksum_add(std::uint32_t sum, std::span<const std::uint8_t> bytes);

// Folds and complements: the value to put in a checksum field; 0 when
// verifying data that includes a correct checksum.
std::uint16_t checksum_finish(std::uint32_t sum);

// The sum of the pseudo-header for an upper-layer packet of `length` bytes.
std::uint32_t pseudo_header_sum(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                                std::uint32_t length);

}  // namespace tandem::vrrpd::packet
