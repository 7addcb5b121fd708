#include "vrrpd/packet/codec.h"

#include <algorithm>

#include "vrrpd/packet/checksum.h"

namespace tandem::vrrpd::packet {

namespace {

constexpr std::size_t kIpv4MinHeader = 20;  // RFC 791: IHL >= 5

std::size_t address_len(bool ipv6) { return ipv6 ? 16 : 4; }

std::size_t expected_len(int version, std::size_t count, bool ipv6) {
  return kHeaderLen + count * address_len(ipv6) + (version == 2 ? kV2AuthLen : 0);
}

}  // namespace

IpAddress multicast_group_v4() { return IpAddress::v4(0xE0000012u); }

IpAddress multicast_group_v6() {
  static const std::uint8_t b[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12};
  return IpAddress::v6(std::span<const std::uint8_t, 16>(b));
}

std::string_view drop_reason_name(DropReason r) {
  switch (r) {
    case DropReason::ip_header:
      return "ip_header";
    case DropReason::ttl:
      return "ttl";
    case DropReason::version:
      return "version";
    case DropReason::type:
      return "type";
    case DropReason::length:
      return "length";
    case DropReason::checksum:
      return "checksum";
    case DropReason::vrid:
      return "vrid";
    case DropReason::address_count:
      return "address_count";
    case DropReason::address_list:
      return "address_list";
    case DropReason::auth_type:
      return "auth_type";
    case DropReason::auth:
      return "auth";
    case DropReason::interval:
      return "interval";
    case DropReason::unicast_source:
      return "unicast_source";
    case DropReason::destination:
      return "destination";
    case DropReason::own_address:
      return "own_address";
  }
  return "?";
}

Result<Ipv4Datagram, DropReason> decode_ipv4(std::span<const std::uint8_t> d) {
  if (d.size() < kIpv4MinHeader || (d[0] >> 4) != 4) return std::unexpected(DropReason::ip_header);
  const std::size_t ihl = static_cast<std::size_t>(d[0] & 0x0f) * 4;
  const std::size_t total = static_cast<std::size_t>(d[2] << 8 | d[3]);
  if (ihl < kIpv4MinHeader || total < ihl || total > d.size()) return std::unexpected(DropReason::ip_header);
  Ipv4Datagram out;
  out.ttl = d[8];
  out.protocol = d[9];
  out.src = IpAddress::v4(std::span<const std::uint8_t, 4>(d.subspan(12, 4)));
  out.dst = IpAddress::v4(std::span<const std::uint8_t, 4>(d.subspan(16, 4)));
  if (out.protocol != kIpProtocol) return std::unexpected(DropReason::ip_header);
  out.payload = d.subspan(ihl, total - ihl);
  return out;
}

std::uint16_t compute_checksum(std::span<const std::uint8_t> vrrp, int version, const IpAddress& src,
                               const IpAddress& dst, ChecksumMode mode) {
  std::uint32_t sum = 0;
  // RFC 3768 §5.3.8: v2 covers the VRRP message alone. RFC 5798 §5.2.8: v3
  // adds the pseudo-header (unless a compatibility mode says otherwise).
  if (version == 3 && mode != ChecksumMode::as_v2) {
    const IpAddress& pdst = mode == ChecksumMode::unicast_as_multicast && !dst.is_v6() ? multicast_group_v4() : dst;
    sum = pseudo_header_sum(src, pdst, kIpProtocol, static_cast<std::uint32_t>(vrrp.size()));
  }
  if (vrrp.size() >= kHeaderLen) {
    sum = checksum_add(sum, vrrp.first(6));
    sum = checksum_add(sum, vrrp.subspan(8));  // bytes 6-7 are the checksum field itself
  }
  return checksum_finish(sum);
}

std::vector<std::uint8_t> encode(const Advert& a, const IpAddress& src, const IpAddress& dst, ChecksumMode mode) {
  const bool v6 = !a.addresses.empty() && a.addresses.front().is_v6();
  std::vector<std::uint8_t> out;
  out.reserve(expected_len(a.version, a.addresses.size(), v6));
  out.push_back(static_cast<std::uint8_t>(a.version << 4 | kTypeAdvertisement));
  out.push_back(a.vrid);
  out.push_back(a.priority);
  out.push_back(static_cast<std::uint8_t>(a.addresses.size()));
  if (a.version == 2) {
    out.push_back(static_cast<std::uint8_t>(a.auth_type));
    out.push_back(static_cast<std::uint8_t>(a.interval));
  } else {
    // RFC 5798 §5.2.6-7: 4 reserved bits (0), then 12 bits of centiseconds.
    const std::uint16_t i = std::min<std::uint16_t>(a.interval, kMaxAdverIntCentis);
    out.push_back(static_cast<std::uint8_t>(i >> 8));
    out.push_back(static_cast<std::uint8_t>(i));
  }
  out.push_back(0);
  out.push_back(0);
  for (const IpAddress& ip : a.addresses) {
    auto b = ip.bytes();
    out.insert(out.end(), b.begin(), b.end());
  }
  if (a.version == 2) out.insert(out.end(), a.auth.begin(), a.auth.end());
  const std::uint16_t c = compute_checksum(out, a.version, src, dst, mode);
  out[6] = static_cast<std::uint8_t>(c >> 8);
  out[7] = static_cast<std::uint8_t>(c);
  return out;
}

std::optional<std::uint8_t> peek_vrid(std::span<const std::uint8_t> vrrp) {
  if (vrrp.size() < kHeaderLen) return std::nullopt;
  return vrrp[1];
}

Result<Advert, DropReason> decode(std::span<const std::uint8_t> p, bool ipv6) {
  if (p.size() < kHeaderLen) return std::unexpected(DropReason::length);
  Advert a;
  a.version = p[0] >> 4;
  // RFC 5798 §7.1: "MUST verify that the VRRP version is 3"; version 2 is
  // RFC 3768's, which is IPv4 only.
  if (a.version != 3 && !(a.version == 2 && !ipv6)) return std::unexpected(DropReason::version);
  if ((p[0] & 0x0f) != kTypeAdvertisement) return std::unexpected(DropReason::type);
  a.vrid = p[1];
  a.priority = p[2];
  const std::size_t count = p[3];
  // RFC 5798 §5.2.5: "The minimum value is 1".
  if (count == 0) return std::unexpected(DropReason::address_count);
  if (p.size() != expected_len(a.version, count, ipv6)) return std::unexpected(DropReason::length);
  if (a.version == 2) {
    a.auth_type = static_cast<V2Auth>(p[4]);
    a.interval = p[5];
  } else {
    a.interval = static_cast<std::uint16_t>((p[4] & 0x0f) << 8 | p[5]);
  }
  a.checksum = static_cast<std::uint16_t>(p[6] << 8 | p[7]);
  const std::size_t alen = address_len(ipv6);
  a.addresses.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto b = p.subspan(kHeaderLen + i * alen, alen);
    a.addresses.push_back(ipv6 ? IpAddress::v6(std::span<const std::uint8_t, 16>(b))
                               : IpAddress::v4(std::span<const std::uint8_t, 4>(b)));
  }
  if (a.version == 2) std::copy_n(p.begin() + static_cast<long>(kHeaderLen + count * alen), kV2AuthLen, a.auth.begin());
  return a;
}

}  // namespace tandem::vrrpd::packet
