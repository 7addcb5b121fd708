#pragma once
// An IPv4 or IPv6 address as a value: what VRRP puts on the wire, compares
// (RFC 5798 §6.4.3: equal priorities are broken by the higher primary
// address, compared as unsigned integers in network order) and prints.

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tandem::vrrpd {

class IpAddress {
 public:
  IpAddress() = default;
  static IpAddress v4(std::span<const std::uint8_t, 4> bytes);
  static IpAddress v6(std::span<const std::uint8_t, 16> bytes);
  // Host-order 32-bit value, for tests and constants: 0xC6120001 is 198.18.0.1.
  static IpAddress v4(std::uint32_t host_order);
  // Numeric text only ("198.18.0.1", "fe80::1"); no DNS.
  static std::optional<IpAddress> parse(std::string_view text);

  bool is_v6() const { return v6_; }
  bool is_unspecified() const;
  bool is_multicast() const;
  bool is_link_local() const;  // fe80::/10 (IPv6 only)
  // The address bytes in network order: 4 or 16 of them.
  std::span<const std::uint8_t> bytes() const { return {bytes_.data(), v6_ ? 16u : 4u}; }
  std::string text() const;

  // Orders IPv4 before IPv6, then as unsigned integers in network order.
  friend std::strong_ordering operator<=>(const IpAddress& a, const IpAddress& b);
  friend bool operator==(const IpAddress& a, const IpAddress& b) = default;

 private:
  bool v6_ = false;
  std::array<std::uint8_t, 16> bytes_{};
};

// An address with its prefix length, as `virtual_ipaddress` writes it.
struct IpPrefix {
  IpAddress address;
  int prefix_len = 32;

  // "ADDR" (a /32 or /128) or "ADDR/LEN".
  static std::optional<IpPrefix> parse(std::string_view text);
  std::string text() const;
  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
};

}  // namespace tandem::vrrpd
