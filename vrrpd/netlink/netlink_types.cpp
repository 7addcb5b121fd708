#include "vrrpd/netlink/netlink_types.h"

#include <algorithm>

namespace tandem::vrrpd::netlink {

IpAddress primary_address(const LinkInfo& link, bool ipv6, const std::vector<IpAddress>& ours) {
  for (const IpPrefix& p : link.addresses) {
    const IpAddress& a = p.address;
    if (a.is_v6() != ipv6) continue;
    if (ipv6 && !a.is_link_local()) continue;
    if (std::find(ours.begin(), ours.end(), a) != ours.end()) continue;
    return a;
  }
  return {};
}

}  // namespace tandem::vrrpd::netlink
