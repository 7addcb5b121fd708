// VRRP packets from the network: any bytes give an advert or a drop reason,
// never a crash; whatever decodes re-encodes to bytes that decode the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "vrrpd/packet/codec.h"
#include "vrrpd/packet/receive_check.h"

using namespace tandem::vrrpd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  std::span<const uint8_t> bytes(data + 1, size - 1);

  // As an IPv4 raw socket hands packets over: IP header first.
  if (auto d = packet::decode_ipv4(bytes)) {
    packet::LocalView l;
    l.version = (mode & 1) ? 2 : 3;
    l.vrid = 51;
    l.vips = {IpAddress::v4(0xC6120064u)};
    l.unicast = mode & 2;
    l.unicast_peers = {IpAddress::v4(0xC6120001u)};
    l.auth_type = (mode & 4) ? packet::V2Auth::simple : packet::V2Auth::none;
    l.checksum_mode = static_cast<packet::ChecksumMode>((mode >> 3) % 3);
    (void)packet::check_received({d->src, d->dst, d->ttl, d->payload}, l);
  }

  // The VRRP part alone, as IPv6 sockets hand it over, and the round trip.
  const bool v6 = mode & 0x80;
  if (auto a = packet::decode(bytes, v6)) {
    const IpAddress src = v6 ? packet::multicast_group_v6() : IpAddress::v4(0xC6120001u);
    const IpAddress dst = v6 ? packet::multicast_group_v6() : packet::multicast_group_v4();
    auto again = packet::decode(packet::encode(*a, src, dst), v6);
    if (!again || again->priority != a->priority || again->vrid != a->vrid || again->addresses != a->addresses ||
        again->interval != a->interval)
      std::abort();
  }
  return 0;
}
