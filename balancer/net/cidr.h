#pragma once
// An IPv4 or IPv6 network (ADDR[/LEN]); IPv4 addresses also match inside
// IPv4-mapped IPv6 addresses, so a dual-stack listener's clients match the
// IPv4 networks users write.

#include <asio/ip/address.hpp>
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tandem::balancer::net {

class Cidr {
 public:
  // "10.0.0.0/8", "192.0.2.1" (a /32), "2001:db8::/32", "::1". nullopt when malformed.
  static std::optional<Cidr> parse(std::string_view text);
  bool contains(const asio::ip::address& a) const;

 private:
  bool v6_ = false;
  std::array<std::uint8_t, 16> bytes_{};
  unsigned prefix_ = 0;
};

}  // namespace tandem::balancer::net
