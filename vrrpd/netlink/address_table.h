#pragma once
// Adding and removing VIPs on interfaces: an interface with a fake beside it
// (FakeAddressTable), and the libnl-route implementation for the kernel.

#include <memory>
#include <vector>

#include "common/error.h"
#include "vrrpd/netlink/netlink_types.h"

struct nl_sock;

namespace tandem::vrrpd::netlink {

class AddressTable {
 public:
  virtual ~AddressTable() = default;
  // Adds the address; present already counts as success. IPv6 addresses get
  // IFA_F_NODAD: a VIP is moving, not new, and must be usable at once.
  virtual Result<void> add(const VipAssignment& vip) = 0;
  // Removes the address; absent already counts as success.
  virtual Result<void> remove(const VipAssignment& vip) = 0;
};

class RtnlAddressTable final : public AddressTable {
 public:
  static Result<std::unique_ptr<RtnlAddressTable>> create();
  ~RtnlAddressTable() override;
  Result<void> add(const VipAssignment& vip) override;
  Result<void> remove(const VipAssignment& vip) override;

 private:
  explicit RtnlAddressTable(nl_sock* sock) : sock_(sock) {}
  nl_sock* sock_;
};

// Records what is on each interface, for unit tests.
class FakeAddressTable final : public AddressTable {
 public:
  Result<void> add(const VipAssignment& vip) override;
  Result<void> remove(const VipAssignment& vip) override;
  bool has(const IpAddress& a) const;
  std::vector<VipAssignment> present;
  int adds = 0;
  int removes = 0;
  bool fail_next = false;
};

}  // namespace tandem::vrrpd::netlink
