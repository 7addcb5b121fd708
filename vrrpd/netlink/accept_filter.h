#pragma once
// RFC 5798 §6.1 Accept_Mode. A master that is not the address owner and has
// accept mode off "MUST NOT accept packets addressed to the IPvX address(es)
// associated with the virtual router" (§6.4.3). keepalived enforces that with
// firewall rules; so do we: one nftables table, `inet tandem_vrrpd`, whose
// input chain drops what is addressed to those VIPs (IPv6 neighbour discovery
// excepted: the master must still answer for the address). The rules can stay
// in place in every state: a node that is not master does not hold the VIPs.
//
// An interface with a fake beside it; the implementation runs nft(8).

#include <string>
#include <vector>

#include "common/error.h"
#include "vrrpd/ip_address.h"

namespace tandem::vrrpd::netlink {

class AcceptFilter {
 public:
  virtual ~AcceptFilter() = default;
  // Makes the dropped set exactly `vips`; an empty set removes the table.
  virtual Result<void> apply(const std::vector<IpAddress>& vips) = 0;
};

// The nft script that installs `vips` (pure, for tests).
std::string accept_filter_script(const std::vector<IpAddress>& vips);

class NftAcceptFilter final : public AcceptFilter {
 public:
  Result<void> apply(const std::vector<IpAddress>& vips) override;

 private:
  bool installed_ = false;
};

class FakeAcceptFilter final : public AcceptFilter {
 public:
  Result<void> apply(const std::vector<IpAddress>& vips) override {
    dropped = vips;
    ++applies;
    return {};
  }
  std::vector<IpAddress> dropped;
  int applies = 0;
};

}  // namespace tandem::vrrpd::netlink
