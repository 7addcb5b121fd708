#include "vrrpd/arp/frames.h"

namespace tandem::vrrpd::arp {

std::vector<std::uint8_t> gratuitous_arp(const netlink::MacAddress& mac, const IpAddress& vip) {
  std::vector<std::uint8_t> f;
  f.reserve(kMinEthernetFrame);
  f.insert(f.end(), 6, 0xff);                 // destination: broadcast
  f.insert(f.end(), mac.begin(), mac.end());  // source
  f.push_back(kEtherTypeArp >> 8);
  f.push_back(kEtherTypeArp & 0xff);
  // RFC 826: hardware Ethernet (1), protocol IPv4 (0x0800), lengths 6 and 4, request (1).
  const std::uint8_t head[] = {0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};
  f.insert(f.end(), std::begin(head), std::end(head));
  auto ip = vip.bytes();
  f.insert(f.end(), mac.begin(), mac.end());  // sender hardware address
  f.insert(f.end(), ip.begin(), ip.end());    // sender protocol address: the VIP
  f.insert(f.end(), 6, 0x00);                 // target hardware address: ignored (RFC 5227 §2.4)
  f.insert(f.end(), ip.begin(), ip.end());    // target protocol address: the VIP again
  f.resize(kMinEthernetFrame, 0);             // veth and some drivers do not pad short frames
  return f;
}

std::vector<std::uint8_t> unsolicited_na(const netlink::MacAddress& mac, const IpAddress& vip, bool router) {
  std::vector<std::uint8_t> m;
  m.reserve(32);
  m.push_back(136);  // RFC 4861 §4.4: Neighbor Advertisement
  m.push_back(0);    // code
  m.push_back(0);    // checksum: the kernel's
  m.push_back(0);
  // R (router), S (solicited) = 0 for unsolicited, O (override) = 1 (§7.2.6).
  m.push_back(static_cast<std::uint8_t>((router ? 0x80 : 0) | 0x20));
  m.insert(m.end(), 3, 0);
  auto t = vip.bytes();
  m.insert(m.end(), t.begin(), t.end());
  m.push_back(2);  // option: Target Link-Layer Address (§4.6.1)
  m.push_back(1);  // length in units of 8 octets
  m.insert(m.end(), mac.begin(), mac.end());
  return m;
}

}  // namespace tandem::vrrpd::arp
