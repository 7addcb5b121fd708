#include "vrrpd/ip_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "common/strings.h"

namespace tandem::vrrpd {

IpAddress IpAddress::v4(std::span<const std::uint8_t, 4> bytes) {
  IpAddress a;
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  return a;
}

IpAddress IpAddress::v6(std::span<const std::uint8_t, 16> bytes) {
  IpAddress a;
  a.v6_ = true;
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  return a;
}

IpAddress IpAddress::v4(std::uint32_t host_order) {
  const std::array<std::uint8_t, 4> b{
      static_cast<std::uint8_t>(host_order >> 24), static_cast<std::uint8_t>(host_order >> 16),
      static_cast<std::uint8_t>(host_order >> 8), static_cast<std::uint8_t>(host_order)};
  return v4(std::span<const std::uint8_t, 4>(b));
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::array<std::uint8_t, 16> b{};
  if (::inet_pton(AF_INET, buf, b.data()) == 1) return v4(std::span<const std::uint8_t, 4>(b.data(), 4));
  if (::inet_pton(AF_INET6, buf, b.data()) == 1) return v6(std::span<const std::uint8_t, 16>(b));
  return std::nullopt;
}

bool IpAddress::is_unspecified() const {
  auto b = bytes();
  return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}

bool IpAddress::is_multicast() const { return v6_ ? bytes_[0] == 0xff : (bytes_[0] & 0xf0) == 0xe0; }

bool IpAddress::is_link_local() const { return v6_ && bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80; }

std::string IpAddress::text() const {
  char buf[INET6_ADDRSTRLEN];
  if (::inet_ntop(v6_ ? AF_INET6 : AF_INET, bytes_.data(), buf, sizeof buf) == nullptr) return "?";
  return buf;
}

std::strong_ordering operator<=>(const IpAddress& a, const IpAddress& b) {
  if (a.v6_ != b.v6_) return a.v6_ ? std::strong_ordering::greater : std::strong_ordering::less;
  auto x = a.bytes(), y = b.bytes();
  return std::lexicographical_compare_three_way(x.begin(), x.end(), y.begin(), y.end());
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  const int max = addr->is_v6() ? 128 : 32;
  IpPrefix p{*addr, max};
  if (slash != std::string_view::npos) {
    unsigned long long len = 0;
    if (!parse_uint(text.substr(slash + 1), len) || len > static_cast<unsigned>(max)) return std::nullopt;
    p.prefix_len = static_cast<int>(len);
  }
  return p;
}

std::string IpPrefix::text() const { return cat(address.text(), '/', prefix_len); }

}  // namespace tandem::vrrpd
