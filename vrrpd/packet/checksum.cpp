#include "vrrpd/packet/checksum.h"

namespace tandem::vrrpd::packet {

std::uint32_t checksum_add(std::uint32_t sum, std::span<const std::uint8_t> bytes) {
  std::uint64_t s = sum;
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) s += static_cast<std::uint32_t>(bytes[i] << 8 | bytes[i + 1]);
  if (i < bytes.size()) s += static_cast<std::uint32_t>(bytes[i] << 8);  // odd byte, padded with zero
  while (s >> 32) s = (s & 0xffffffff) + (s >> 32);
  return static_cast<std::uint32_t>(s);
}

std::uint16_t checksum_finish(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::uint32_t pseudo_header_sum(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                                std::uint32_t length) {
  std::uint32_t sum = checksum_add(0, src.bytes());
  sum = checksum_add(sum, dst.bytes());
  if (src.is_v6()) {
    // RFC 8200 §8.1: 32-bit upper-layer length, 24 zero bits, next header.
    const std::uint8_t tail[8] = {static_cast<std::uint8_t>(length >> 24),
                                  static_cast<std::uint8_t>(length >> 16),
                                  static_cast<std::uint8_t>(length >> 8),
                                  static_cast<std::uint8_t>(length),
                                  0,
                                  0,
                                  0,
                                  protocol};
    return checksum_add(sum, tail);
  }
  // RFC 768: zero, protocol, 16-bit length.
  const std::uint8_t tail[4] = {0, protocol, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
  return checksum_add(sum, tail);
}

}  // namespace tandem::vrrpd::packet
