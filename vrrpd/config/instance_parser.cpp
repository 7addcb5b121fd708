// vrrp_instance NAME { ... }: one handler per keyword.
#include <functional>
#include <map>

#include "common/strings.h"
#include "vrrpd/config/parse_parts.h"
#include "vrrpd/config/values.h"

namespace tandem::vrrpd::config::detail {

namespace {

constexpr std::size_t kMaxLabel = 15;  // IFNAMSIZ - 1: the kernel's limit for an address label

struct Draft {
  Instance inst;
  bool seen_version = false;
  bool seen_preempt_delay = false;
  bool seen_nopreempt = false;
  bool seen_accept = false;
  std::map<std::string, int> seen;  // keywords that may appear once
};

// ADDR[/PREFIX] [dev IF] [label L]
Result<Vip> parse_vip(const Node& n) {
  if (n.has_block) return fail(error_at(n, "does not take a { ... } block"));
  auto p = IpPrefix::parse(n.words[0]);
  if (!p) return fail(cat(n.where(), ": virtual_ipaddress: '", n.words[0], "' is not ADDRESS[/PREFIX]"));
  Vip v{*p, "", "", where_of(n)};
  for (std::size_t i = 1; i < n.words.size(); i += 2) {
    const std::string& opt = n.words[i];
    if (opt != "dev" && opt != "label")
      return fail(cat(n.where(), ": virtual_ipaddress: option '", opt, "' is not supported (dev and label are)"));
    if (i + 1 >= n.words.size()) return fail(cat(n.where(), ": virtual_ipaddress: ", opt, " needs a value"));
    if (opt == "dev") {
      v.dev = n.words[i + 1];
    } else {
      if (p->address.is_v6()) return fail(cat(n.where(), ": virtual_ipaddress: label is for IPv4 addresses only"));
      if (n.words[i + 1].size() > kMaxLabel)
        return fail(
            cat(n.where(), ": virtual_ipaddress: label '", n.words[i + 1], "' is longer than ", kMaxLabel, " bytes"));
      v.label = n.words[i + 1];
    }
  }
  return v;
}

Result<std::vector<Vip>> parse_vips(const Node& n) {
  if (auto r = block(n); !r) return std::unexpected(r.error());
  std::vector<Vip> out;
  for (const Node& a : n.children) {
    auto v = parse_vip(a);
    if (!v) return std::unexpected(v.error());
    out.push_back(std::move(*v));
  }
  return out;
}

Result<void> parse_auth(Instance& inst, const Node& b) {
  if (auto r = block(b); !r) return r;
  bool have_type = false;
  for (const Node& n : b.children) {
    if (auto r = arguments(n, 1, 1); !r) return r;
    if (n.keyword() == "auth_type") {
      if (n.words[1] == "PASS")
        inst.auth_type = packet::V2Auth::simple;
      else if (n.words[1] == "AH")
        return fail(error_at(n, "AH is not supported (RFC 3768 removed it)"));
      else
        return fail(error_at(n, cat("expects PASS, got '", n.words[1], "'")));
      have_type = true;
    } else if (n.keyword() == "auth_pass") {
      // RFC 3768 §5.3.10: 8 octets. keepalived truncates longer ones; a
      // silently shortened password is a surprise, so we refuse it.
      if (n.words[1].size() > packet::kV2AuthLen) return fail(error_at(n, "longer than 8 characters"));
      inst.auth_pass = n.words[1];
    } else {
      return fail(error_at(n, "unknown keyword in authentication"));
    }
  }
  if (!have_type) return fail(cat(b.where(), ": authentication: auth_type is required"));
  if (inst.auth_pass.empty()) return fail(cat(b.where(), ": authentication: auth_pass is required"));
  return {};
}

Result<BalancerTrack> parse_balancer(const Node& b) {
  if (auto r = block(b); !r) return std::unexpected(r.error());
  BalancerTrack t;
  t.where = where_of(b);
  constexpr Micros kMinInterval{1000}, kMaxInterval{60'000'000};
  for (const Node& n : b.children) {
    const std::string& k = n.keyword();
    if (auto r = arguments(n, 1, 1); !r) return std::unexpected(r.error());
    if (k == "socket") {
      t.socket = n.words[1];
    } else if (k == "weight") {
      auto v = integer(n, 1, 0, 253);
      if (!v) return std::unexpected(v.error());
      t.weight = static_cast<int>(*v);
    } else if (k == "probe") {
      auto hp = parse_host_port(n.words[1]);
      if (!hp) return fail(error_at(n, hp.error().message));
      t.probe = *hp;
    } else if (k == "probe_send") {
      auto s = unescape(n.words[1]);
      if (!s) return fail(error_at(n, s.error().message));
      if (s->empty()) return fail(error_at(n, "is empty"));
      t.probe_send = *s;
    } else if (k == "probe_interval" || k == "probe_timeout" || k == "watch_timeout") {
      auto v = seconds(n, 1, 3, kMinInterval, kMaxInterval);
      if (!v) return std::unexpected(v.error());
      (k == "probe_interval" ? t.probe_interval : k == "probe_timeout" ? t.probe_timeout : t.watch_timeout) = *v;
    } else if (k == "probe_fall" || k == "probe_rise") {
      auto v = integer(n, 1, 1, 100);
      if (!v) return std::unexpected(v.error());
      (k == "probe_fall" ? t.probe_fall : t.probe_rise) = static_cast<int>(*v);
    } else {
      return fail(error_at(n, "unknown keyword in track_balancer"));
    }
  }
  if (!t.probe && (!t.probe_send.empty()))
    return fail(cat(b.where(), ": track_balancer: probe_send needs probe ADDRESS:PORT"));
  if (t.probe_timeout.count() == 0) t.probe_timeout = t.probe_interval;
  return t;
}

using Handler = std::function<Result<void>(Draft&, const Node&)>;

Result<void> set(auto& field, Result<long long> v) {
  if (!v) return std::unexpected(v.error());
  field = static_cast<std::remove_reference_t<decltype(field)>>(*v);
  return {};
}

const std::map<std::string, Handler, std::less<>>& handlers() {
  static const std::map<std::string, Handler, std::less<>> h = {
      {"state",
       [](Draft& d, const Node& n) -> Result<void> {
         if (auto r = arguments(n, 1, 1); !r) return r;
         if (n.words[1] != "MASTER" && n.words[1] != "BACKUP")
           return fail(error_at(n, cat("expects MASTER or BACKUP, got '", n.words[1], "'")));
         d.inst.initial_master = n.words[1] == "MASTER";
         return {};
       }},
      {"interface",
       [](Draft& d, const Node& n) -> Result<void> {
         if (auto r = arguments(n, 1, 1); !r) return r;
         d.inst.interface = n.words[1];
         return {};
       }},
      {"virtual_router_id",
       [](Draft& d, const Node& n) { return set(d.inst.vrid, integer(n, 1, 1, 255)); }},  // RFC 5798 §5.2.3
      {"priority", [](Draft& d, const Node& n) { return set(d.inst.priority, integer(n, 1, 1, 255)); }},
      {"advert_int",
       [](Draft& d, const Node& n) -> Result<void> {
         if (auto r = arguments(n, 1, 1); !r) return r;
         auto v = seconds(n, 1, 2, Micros(10'000), Micros(255'000'000));
         if (!v) return std::unexpected(v.error());
         d.inst.advert_int = *v;
         return {};
       }},
      {"version",
       [](Draft& d, const Node& n) {
         d.seen_version = true;
         return set(d.inst.version, integer(n, 1, 2, 3));
       }},
      {"nopreempt",
       [](Draft& d, const Node& n) -> Result<void> {
         d.seen_nopreempt = true;
         d.inst.preempt = false;
         return flag(n);
       }},
      {"preempt", [](Draft&, const Node& n) { return flag(n); }},  // keepalived's default, accepted as such
      {"preempt_delay",
       [](Draft& d, const Node& n) -> Result<void> {
         if (auto r = arguments(n, 1, 1); !r) return r;
         auto v = seconds(n, 1, 3, Micros(0), Micros(3600'000'000LL));
         if (!v) return std::unexpected(v.error());
         d.seen_preempt_delay = true;
         d.inst.preempt_delay = *v;
         return {};
       }},
      {"unicast_src_ip",
       [](Draft& d, const Node& n) -> Result<void> {
         if (auto r = arguments(n, 1, 1); !r) return r;
         auto a = address(n, 1);
         if (!a) return std::unexpected(a.error());
         d.inst.source = *a;
         return {};
       }},
      {"mcast_src_ip",
       [](Draft& d, const Node& n) -> Result<void> {
         if (auto r = arguments(n, 1, 1); !r) return r;
         auto a = address(n, 1);
         if (!a) return std::unexpected(a.error());
         d.inst.source = *a;
         return {};
       }},
      {"unicast_peer",
       [](Draft& d, const Node& n) -> Result<void> {
         if (auto r = block(n); !r) return r;
         for (const Node& p : n.children) {
           if (p.words.size() != 1 || p.has_block)
             return fail(cat(p.where(), ": unicast_peer: expects one address per line (options are not supported)"));
           auto a = IpAddress::parse(p.words[0]);
           if (!a) return fail(cat(p.where(), ": unicast_peer: '", p.words[0], "' is not a numeric IP address"));
           d.inst.unicast_peers.push_back(*a);
         }
         if (d.inst.unicast_peers.empty()) return fail(error_at(n, "lists no peer"));
         return {};
       }},
      {"authentication", [](Draft& d, const Node& n) { return parse_auth(d.inst, n); }},
      {"virtual_ipaddress",
       [](Draft& d, const Node& n) -> Result<void> {
         auto v = parse_vips(n);
         if (!v) return std::unexpected(v.error());
         d.inst.vips = std::move(*v);
         return {};
       }},
      {"virtual_ipaddress_excluded",
       [](Draft& d, const Node& n) -> Result<void> {
         auto v = parse_vips(n);
         if (!v) return std::unexpected(v.error());
         d.inst.vips_excluded = std::move(*v);
         return {};
       }},
      {"track_script",
       [](Draft& d, const Node& n) -> Result<void> {
         auto t = parse_track_list(n, -253, 253);
         if (!t) return std::unexpected(t.error());
         d.inst.track_scripts = std::move(*t);
         return {};
       }},
      {"track_interface",
       [](Draft& d, const Node& n) -> Result<void> {
         auto t = parse_track_list(n, -253, 253);
         if (!t) return std::unexpected(t.error());
         d.inst.track_interfaces = std::move(*t);
         return {};
       }},
      {"track_balancer",
       [](Draft& d, const Node& n) -> Result<void> {
         auto t = parse_balancer(n);
         if (!t) return std::unexpected(t.error());
         d.inst.track_balancer = std::move(*t);
         return {};
       }},
      {"dont_track_primary",
       [](Draft& d, const Node& n) {
         d.inst.track_primary = false;
         return flag(n);
       }},
      {"accept",
       [](Draft& d, const Node& n) {
         d.seen_accept = true;
         d.inst.accept = true;
         return flag(n);
       }},
      {"no_accept",
       [](Draft& d, const Node& n) {
         d.seen_accept = true;
         d.inst.accept = false;
         return flag(n);
       }},
      {"v3_checksum_as_v2",
       [](Draft& d, const Node& n) {
         d.inst.checksum_mode = packet::ChecksumMode::as_v2;
         return flag(n);
       }},
      {"old_unicast_checksum",
       [](Draft& d, const Node& n) {
         d.inst.checksum_mode = packet::ChecksumMode::unicast_as_multicast;
         return flag(n);
       }},
  };
  return h;
}

Result<bool> parse_instance_garp(Garp& g, const Node& n) {
  const std::string& k = n.keyword();
  constexpr long long kMaxSeconds = 86400;
  long long lo = 0, hi = kMaxSeconds;
  if (k == "garp_master_repeat" || k == "garp_master_refresh_repeat")
    lo = 1, hi = 255;
  else if (k == "garp_lower_prio_repeat")
    hi = 255;
  else if (k != "garp_master_delay" && k != "garp_master_refresh" && k != "garp_lower_prio_delay")
    return false;
  if (auto r = arguments(n, 1, 1); !r) return std::unexpected(r.error());
  auto v = integer(n, 1, lo, hi);
  if (!v) return std::unexpected(v.error());
  const Micros secs(*v * 1'000'000);
  if (k == "garp_master_delay")
    g.master_delay = secs;
  else if (k == "garp_master_refresh")
    g.master_refresh = secs;
  else if (k == "garp_lower_prio_delay")
    g.lower_prio_delay = secs;
  else if (k == "garp_master_repeat")
    g.master_repeat = static_cast<int>(*v);
  else if (k == "garp_master_refresh_repeat")
    g.master_refresh_repeat = static_cast<int>(*v);
  else
    g.lower_prio_repeat = static_cast<int>(*v);
  return true;
}

}  // namespace

Result<Instance> parse_instance(const Node& b, const GlobalDefs& global) {
  if (b.words.size() != 2 || !b.has_block) return fail(error_at(b, "expects a name and a { ... } block"));
  Draft d;
  d.inst.name = b.words[1];
  d.inst.where = where_of(b);
  d.inst.version = global.vrrp_version;
  d.inst.garp = global.garp;
  for (const Node& n : b.children) {
    const std::string& k = n.keyword();
    auto notify = parse_notify_keyword(d.inst.notify, n);
    if (!notify) return std::unexpected(notify.error());
    if (*notify) continue;
    auto garp = parse_instance_garp(d.inst.garp, n);
    if (!garp) return std::unexpected(garp.error());
    if (*garp) continue;
    auto it = handlers().find(k);
    if (it == handlers().end()) return fail(error_at(n, "unknown keyword in vrrp_instance"));
    if (++d.seen[k] > 1) return fail(error_at(n, "given twice"));
    if (auto r = it->second(d, n); !r) return std::unexpected(r.error());
  }
  const std::string head = cat(b.where(), ": vrrp_instance ", d.inst.name, ": ");
  if (d.inst.vrid == 0) return fail(head + "virtual_router_id is required");
  if (d.inst.interface.empty()) return fail(head + "interface is required");
  if (d.inst.vips.empty()) return fail(head + "virtual_ipaddress needs at least one address (RFC 5798 §5.2.5)");
  if (d.seen_nopreempt && d.seen_preempt_delay) return fail(head + "preempt_delay has no effect with nopreempt");
  (void)d.seen_version;
  (void)d.seen_accept;
  return std::move(d.inst);
}

}  // namespace tandem::vrrpd::config::detail
