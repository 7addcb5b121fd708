#pragma once
// VRRP advertisements as plain values: RFC 5798 (version 3, with RFC 9568's
// clarifications) and RFC 3768 (version 2). Included by the state machine and
// the drivers; nothing heavy here.

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "vrrpd/ip_address.h"

namespace tandem::vrrpd::packet {

inline constexpr std::uint8_t kIpProtocol = 112;           // RFC 5798 §5.1.1.4: IP protocol number
inline constexpr int kTtl = 255;                           // RFC 5798 §5.1.1.3 / §5.1.2.3: TTL, hop limit
inline constexpr std::uint8_t kTypeAdvertisement = 1;      // RFC 5798 §5.2.2: the only type
inline constexpr std::uint8_t kPriorityOwner = 255;        // RFC 5798 §5.2.4: the address owner
inline constexpr std::uint8_t kPriorityStop = 0;           // RFC 5798 §5.2.4: "stopped participating"
inline constexpr std::size_t kHeaderLen = 8;               // RFC 5798 §5.2 / RFC 3768 §5.1: fixed part
inline constexpr std::size_t kV2AuthLen = 8;               // RFC 3768 §5.3.10: Authentication Data
inline constexpr std::uint16_t kMaxAdverIntCentis = 4095;  // RFC 5798 §5.2.7: 12 bits of centiseconds

// RFC 5798 §5.1.1.2 and §5.1.2.2: the groups adverts are sent to.
IpAddress multicast_group_v4();  // 224.0.0.18
IpAddress multicast_group_v6();  // ff02::12

// RFC 3768 §5.3.6. Type 2 (IP AH) is not supported: RFC 3768 removed it.
enum class V2Auth : std::uint8_t { none = 0, simple = 1 };

// How the version 3 checksum is computed. RFC 5798 §5.2.8 includes the IPv4
// pseudo-header; old keepalived used none (`v3_checksum_as_v2`), and keepalived
// before 1.3 put the multicast group in it even for unicast peers
// (`old_unicast_checksum`).
enum class ChecksumMode : std::uint8_t { rfc, as_v2, unicast_as_multicast };

struct Advert {
  int version = 3;
  std::uint8_t vrid = 0;
  std::uint8_t priority = 0;
  // v3: Max Adver Int in centiseconds (12 bits). v2: Adver Int in seconds.
  std::uint16_t interval = 0;
  V2Auth auth_type = V2Auth::none;              // v2 only
  std::array<std::uint8_t, kV2AuthLen> auth{};  // v2 only: the password, NUL-padded
  std::vector<IpAddress> addresses;             // all IPv4 or all IPv6
  std::uint16_t checksum = 0;                   // as received; encode() computes its own
};

// Why a received packet was dropped (RFC 5798 §7.1, RFC 3768 §7.1).
enum class DropReason : std::uint8_t {
  ip_header,  // not a well-formed IPv4 header carrying VRRP
  ttl,        // TTL / hop limit not 255
  version,    // not the version this instance speaks
  type,       // not an advertisement
  length,     // shorter or longer than its address count says
  checksum,
  vrid,            // no instance with this VRID on the interface
  address_count,   // count 0, or not our number of VIPs
  address_list,    // not our VIPs
  auth_type,       // v2 authentication type differs
  auth,            // v2 password differs
  interval,        // v2 advertisement interval differs
  unicast_source,  // unicast mode: the source is not a configured peer
  destination,     // multicast where unicast is expected, or the reverse
  own_address,     // our own advert came back
};
inline constexpr int kDropReasonCount = 15;

std::string_view drop_reason_name(DropReason r);

}  // namespace tandem::vrrpd::packet
