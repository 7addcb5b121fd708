#include "vrrpd/packet/receive_check.h"

#include <algorithm>

#include "vrrpd/packet/codec.h"

namespace tandem::vrrpd::packet {

namespace {

bool same_set(const std::vector<IpAddress>& a, const std::vector<IpAddress>& b) {
  if (a.size() != b.size()) return false;
  return std::all_of(a.begin(), a.end(),
                     [&](const IpAddress& x) { return std::find(b.begin(), b.end(), x) != b.end(); });
}

// Constant time: the comparison must not tell an attacker how much of the
// password matched.
bool same_auth(const std::array<std::uint8_t, kV2AuthLen>& a, const std::array<std::uint8_t, kV2AuthLen>& b) {
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < kV2AuthLen; ++i) diff |= static_cast<std::uint8_t>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

Result<Advert, DropReason> check_received(const Received& rx, const LocalView& local) {
  // §7.1: "MUST verify that the IPv4 TTL/IPv6 Hop Limit is 255". It proves the
  // sender is on the link: a router would have decremented it.
  if (rx.ttl != kTtl) return std::unexpected(DropReason::ttl);
  // §7.1: version, and "the received packet contains the complete VRRP packet".
  auto a = decode(rx.vrrp, local.ipv6);
  if (!a) return a;
  if (a->version != local.version) return std::unexpected(DropReason::version);
  // §7.1: "MUST verify the VRRP checksum".
  if (compute_checksum(rx.vrrp, a->version, rx.src, rx.dst, local.checksum_mode) != a->checksum)
    return std::unexpected(DropReason::checksum);
  // §7.1: "MUST verify that the VRID is configured on the receiving interface".
  if (a->vrid != local.vrid) return std::unexpected(DropReason::vrid);
  if (rx.src == local.self) return std::unexpected(DropReason::own_address);
  // A multicast advert where we talk unicast (or the reverse) belongs to some
  // other configuration of the same VRID.
  if (rx.dst.is_multicast() == local.unicast) return std::unexpected(DropReason::destination);
  if (local.unicast &&
      std::find(local.unicast_peers.begin(), local.unicast_peers.end(), rx.src) == local.unicast_peers.end())
    return std::unexpected(DropReason::unicast_source);
  if (a->version == 2) {
    // RFC 3768 §7.1: authentication type and data, and "MUST verify that the
    // Adver Interval in the packet is the same as the locally configured".
    if (a->auth_type != local.auth_type) return std::unexpected(DropReason::auth_type);
    if (local.auth_type == V2Auth::simple && !same_auth(a->auth, local.auth)) return std::unexpected(DropReason::auth);
    if (a->interval != local.v2_interval_s) return std::unexpected(DropReason::interval);
  }
  // §7.1: "MAY verify that the IPvX Address(es) associated with the VRID are
  // valid". We do, and drop on mismatch: a peer that advertises other
  // addresses is misconfigured, and letting it win an election would move
  // addresses nobody asked for. (keepalived logs and accepts.)
  if (a->addresses.size() != local.vips.size()) return std::unexpected(DropReason::address_count);
  if (!same_set(a->addresses, local.vips)) return std::unexpected(DropReason::address_list);
  return a;
}

}  // namespace tandem::vrrpd::packet
