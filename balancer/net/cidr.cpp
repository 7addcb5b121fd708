#include "balancer/net/cidr.h"

#include <string>

#include "common/strings.h"

namespace tandem::balancer::net {

std::optional<Cidr> Cidr::parse(std::string_view text) {
  Cidr c;
  std::string_view addr = text;
  std::optional<unsigned> len;
  size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    unsigned long long n = 0;
    if (!parse_uint(text.substr(slash + 1), n)) return std::nullopt;
    len = static_cast<unsigned>(n);
    addr = text.substr(0, slash);
  }
  asio::error_code ec;
  asio::ip::address a = asio::ip::make_address(std::string(addr), ec);
  if (ec) return std::nullopt;
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), c.bytes_.begin());
    c.prefix_ = len.value_or(32);
    if (c.prefix_ > 32) return std::nullopt;
  } else {
    c.v6_ = true;
    c.bytes_ = a.to_v6().to_bytes();
    c.prefix_ = len.value_or(128);
    if (c.prefix_ > 128) return std::nullopt;
  }
  return c;
}

bool Cidr::contains(const asio::ip::address& a) const {
  std::array<std::uint8_t, 16> b{};
  if (a.is_v4()) {
    if (v6_) return false;
    auto v4 = a.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), b.begin());
  } else {
    auto v6 = a.to_v6();
    if (!v6_) {
      if (!v6.is_v4_mapped()) return false;
      auto v4 = asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_bytes();
      std::copy(v4.begin(), v4.end(), b.begin());
    } else {
      b = v6.to_bytes();
    }
  }
  unsigned full = prefix_ / 8, rest = prefix_ % 8;
  for (unsigned i = 0; i < full; ++i)
    if (b[i] != bytes_[i]) return false;
  if (rest) {
    std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    if ((b[full] & mask) != (bytes_[full] & mask)) return false;
  }
  return true;
}

}  // namespace tandem::balancer::net
