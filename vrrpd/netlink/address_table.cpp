#include "vrrpd/netlink/address_table.h"

#include <linux/if_addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <sys/socket.h>

#include <algorithm>

#include "common/strings.h"

namespace tandem::vrrpd::netlink {

namespace {

// An rtnl_addr for `vip`, owned by the returned pointer.
struct AddrDeleter {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
using AddrPtr = std::unique_ptr<rtnl_addr, AddrDeleter>;

Result<AddrPtr> build(const VipAssignment& vip) {
  AddrPtr a(rtnl_addr_alloc());
  if (!a) return fail("out of memory");
  const bool v6 = vip.prefix.address.is_v6();
  auto bytes = vip.prefix.address.bytes();
  nl_addr* local = nl_addr_build(v6 ? AF_INET6 : AF_INET, bytes.data(), bytes.size());
  if (!local) return fail("out of memory");
  nl_addr_set_prefixlen(local, vip.prefix.prefix_len);
  rtnl_addr_set_ifindex(a.get(), vip.ifindex);
  int rc = rtnl_addr_set_local(a.get(), local);
  nl_addr_put(local);
  if (rc < 0) return fail(nl_geterror(rc));
  rtnl_addr_set_prefixlen(a.get(), vip.prefix.prefix_len);
  if (!vip.label.empty()) rtnl_addr_set_label(a.get(), vip.label.c_str());
  if (v6) rtnl_addr_set_flags(a.get(), IFA_F_NODAD);
  return a;
}

}  // namespace

Result<std::unique_ptr<RtnlAddressTable>> RtnlAddressTable::create() {
  nl_sock* s = nl_socket_alloc();
  if (!s) return fail("netlink: out of memory");
  if (int rc = nl_connect(s, NETLINK_ROUTE); rc < 0) {
    nl_socket_free(s);
    return fail(cat("netlink: ", nl_geterror(rc)));
  }
  return std::unique_ptr<RtnlAddressTable>(new RtnlAddressTable(s));
}

RtnlAddressTable::~RtnlAddressTable() { nl_socket_free(sock_); }

Result<void> RtnlAddressTable::add(const VipAssignment& vip) {
  auto a = build(vip);
  if (!a) return std::unexpected(a.error());
  int rc = rtnl_addr_add(sock_, a->get(), NLM_F_REPLACE);
  if (rc < 0 && rc != -NLE_EXIST) return fail(cat("adding ", vip.prefix.text(), ": ", nl_geterror(rc)));
  return {};
}

Result<void> RtnlAddressTable::remove(const VipAssignment& vip) {
  auto a = build(vip);
  if (!a) return std::unexpected(a.error());
  int rc = rtnl_addr_delete(sock_, a->get(), 0);
  // Absent already: the kernel says EADDRNOTAVAIL, which libnl maps to NOADDR.
  if (rc < 0 && rc != -NLE_NOADDR && rc != -NLE_OBJ_NOTFOUND && rc != -NLE_NODEV)
    return fail(cat("removing ", vip.prefix.text(), ": ", nl_geterror(rc)));
  return {};
}

Result<void> FakeAddressTable::add(const VipAssignment& vip) {
  ++adds;
  if (fail_next) {
    fail_next = false;
    return fail("fake failure");
  }
  if (!has(vip.prefix.address)) present.push_back(vip);
  return {};
}

Result<void> FakeAddressTable::remove(const VipAssignment& vip) {
  ++removes;
  std::erase_if(present, [&](const VipAssignment& v) { return v.prefix.address == vip.prefix.address; });
  return {};
}

bool FakeAddressTable::has(const IpAddress& a) const {
  return std::any_of(present.begin(), present.end(), [&](const VipAssignment& v) { return v.prefix.address == a; });
}

}  // namespace tandem::vrrpd::netlink
