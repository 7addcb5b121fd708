// Checks that need the whole configuration.
#include <set>
#include <tuple>

#include "common/strings.h"
#include "vrrpd/config/parse_parts.h"
#include "vrrpd/config/values.h"

namespace tandem::vrrpd::config::detail {

namespace {

Result<void> check_instance(const Config& cfg, const Instance& i) {
  const std::string head = cat(i.where.text(), ": vrrp_instance ", i.name, ": ");
  const bool v6 = i.ipv6();
  for (const Vip& v : i.vips)
    if (v.prefix.address.is_v6() != v6)
      return fail(cat(v.where.text(),
                      ": virtual_ipaddress: IPv4 and IPv6 addresses cannot share an instance "
                      "(put the other family in virtual_ipaddress_excluded)"));
  if (i.version == 2) {
    // RFC 3768 is IPv4 only, and its Adver Int is whole seconds.
    if (v6) return fail(head + "VRRP version 2 is IPv4 only: use version 3 for IPv6");
    if (i.advert_int.count() % 1'000'000 != 0)
      return fail(head + "advert_int must be whole seconds in VRRP version 2 (use version 3 for less)");
  } else {
    // RFC 5798 §5.2.7: 12 bits of centiseconds.
    if (i.advert_int.count() % 10'000 != 0) return fail(head + "advert_int must be a multiple of 0.01 s");
    if (i.advert_int.count() > packet::kMaxAdverIntCentis * 10'000LL)
      return fail(head + "advert_int is at most 40.95 s in version 3");
    if (i.auth_type != packet::V2Auth::none)
      return fail(head + "authentication is VRRP version 2 only (RFC 5798 removed it)");
  }
  auto family_ok = [&](const IpAddress& a) { return a.is_v6() == v6; };
  if (i.source && !family_ok(*i.source))
    return fail(head + cat("source address ", i.source->text(), " is not of the instance's address family"));
  for (const auto& p : i.unicast_peers)
    if (!family_ok(p)) return fail(head + cat("unicast_peer ", p.text(), " is not of the instance's address family"));
  for (const auto& t : i.track_scripts)
    if (!cfg.script(t.name)) return fail(cat(t.where.text(), ": track_script: no vrrp_script named '", t.name, "'"));
  if (i.checksum_mode == packet::ChecksumMode::unicast_as_multicast && i.unicast_peers.empty())
    return fail(head + "old_unicast_checksum applies to unicast_peer only");
  return {};
}

}  // namespace

Result<void> validate(Config& cfg) {
  std::set<std::tuple<std::string, int, bool>> vrids;
  std::set<IpAddress> addresses;
  for (const Instance& i : cfg.instances) {
    if (auto r = check_instance(cfg, i); !r) return r;
    if (!vrids.insert({i.interface, i.vrid, i.ipv6()}).second)
      return fail(cat(i.where.text(), ": vrrp_instance ", i.name, ": virtual_router_id ", int{i.vrid},
                      " is already used on ", i.interface, " for this address family"));
    for (const auto* list : {&i.vips, &i.vips_excluded})
      for (const Vip& v : *list)
        if (!addresses.insert(v.prefix.address).second)
          return fail(cat(v.where.text(), ": ", v.prefix.address.text(), " belongs to another instance too"));
  }
  for (const SyncGroup& g : cfg.sync_groups) {
    for (const std::string& m : g.members) {
      Instance* inst = nullptr;
      for (auto& i : cfg.instances)
        if (i.name == m) inst = &i;
      if (!inst) return fail(cat(g.where.text(), ": vrrp_sync_group ", g.name, ": no vrrp_instance named '", m, "'"));
      if (!inst->sync_group.empty())
        return fail(cat(g.where.text(), ": vrrp_sync_group ", g.name, ": ", m, " is already in vrrp_sync_group ",
                        inst->sync_group));
      inst->sync_group = g.name;
    }
  }
  return {};
}

}  // namespace tandem::vrrpd::config::detail
