#include "vrrpd/config/parser.h"

#include "common/strings.h"
#include "vrrpd/config/parse_parts.h"
#include "vrrpd/config/values.h"

namespace tandem::vrrpd::config {

const Script* Config::script(const std::string& name) const {
  for (const auto& s : scripts)
    if (s.name == name) return &s;
  return nullptr;
}

const Instance* Config::instance(const std::string& name) const {
  for (const auto& i : instances)
    if (i.name == name) return &i;
  return nullptr;
}

namespace detail {

Result<Command> parse_notify(const Node& n) {
  if (auto r = arguments(n, 1, 3); !r) return std::unexpected(r.error());
  auto argv = split_command(n.words[1]);
  if (!argv) return fail(error_at(n, argv.error().message));
  Command c{*argv, n.words.size() > 2 ? n.words[2] : "", n.words.size() > 3 ? n.words[3] : "", where_of(n)};
  return c;
}

Result<bool> parse_notify_keyword(Notify& notify, const Node& n) {
  std::optional<Command>* slot = nullptr;
  const std::string& k = n.keyword();
  if (k == "notify_master")
    slot = &notify.master;
  else if (k == "notify_backup")
    slot = &notify.backup;
  else if (k == "notify_fault")
    slot = &notify.fault;
  else if (k == "notify_stop")
    slot = &notify.stop;
  else if (k == "notify")
    slot = &notify.any;
  else
    return false;
  if (*slot) return fail(error_at(n, "given twice"));
  auto c = parse_notify(n);
  if (!c) return std::unexpected(c.error());
  *slot = std::move(*c);
  return true;
}

Result<std::vector<TrackRef>> parse_track_list(const Node& n, int min_weight, int max_weight) {
  if (auto r = block(n); !r) return std::unexpected(r.error());
  std::vector<TrackRef> out;
  for (const Node& e : n.children) {
    if (e.has_block) return fail(error_at(e, "does not take a { ... } block"));
    TrackRef t{e.words[0], std::nullopt, false, where_of(e)};
    std::size_t i = 1;
    if (i < e.words.size()) {
      if (e.words[i] != "weight")
        return fail(error_at(e, cat("unexpected '", e.words[i], "' (expected weight N [reverse])")));
      auto w = integer(e, i + 1, min_weight, max_weight);
      if (!w) return std::unexpected(w.error());
      t.weight = static_cast<int>(*w);
      i += 2;
      if (i < e.words.size() && e.words[i] == "reverse") {
        t.reverse = true;
        ++i;
      }
      if (i < e.words.size()) return fail(error_at(e, cat("unexpected '", e.words[i], "'")));
    }
    for (const auto& prev : out)
      if (prev.name == t.name) return fail(error_at(e, "listed twice"));
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace detail

namespace {

using detail::parse_notify_keyword;

Result<void> set_user(std::string& user, std::string& group, const Node& n) {
  if (auto r = arguments(n, 1, 2); !r) return r;
  user = n.words[1];
  group = n.words.size() > 2 ? n.words[2] : "";
  return {};
}

// The garp keywords shared by global_defs (with a `vrrp_` prefix) and
// instances. False when `k` is not one of them.
Result<bool> parse_garp(Garp& g, const Node& n, std::string_view k) {
  constexpr long long kMaxSeconds = 86400;
  if (k == "garp_master_delay") {
    auto v = integer(n, 1, 0, kMaxSeconds);
    if (!v) return std::unexpected(v.error());
    g.master_delay = Micros(*v * 1'000'000);
  } else if (k == "garp_master_repeat") {
    auto v = integer(n, 1, 1, 255);
    if (!v) return std::unexpected(v.error());
    g.master_repeat = static_cast<int>(*v);
  } else if (k == "garp_master_refresh") {
    auto v = integer(n, 1, 0, kMaxSeconds);
    if (!v) return std::unexpected(v.error());
    g.master_refresh = Micros(*v * 1'000'000);
  } else if (k == "garp_master_refresh_repeat") {
    auto v = integer(n, 1, 1, 255);
    if (!v) return std::unexpected(v.error());
    g.master_refresh_repeat = static_cast<int>(*v);
  } else if (k == "garp_lower_prio_delay") {
    auto v = integer(n, 1, 0, kMaxSeconds);
    if (!v) return std::unexpected(v.error());
    g.lower_prio_delay = Micros(*v * 1'000'000);
  } else if (k == "garp_lower_prio_repeat") {
    auto v = integer(n, 1, 0, 255);
    if (!v) return std::unexpected(v.error());
    g.lower_prio_repeat = static_cast<int>(*v);
  } else {
    return false;
  }
  if (auto r = arguments(n, 1, 1); !r) return std::unexpected(r.error());
  return true;
}

Result<void> parse_global(GlobalDefs& g, const Node& block_node) {
  if (auto r = block(block_node); !r) return r;
  for (const Node& n : block_node.children) {
    const std::string& k = n.keyword();
    if (k.starts_with("vrrp_garp_")) {
      auto r = parse_garp(g.garp, n, std::string_view(k).substr(5));
      if (!r) return std::unexpected(r.error());
      if (*r) continue;
    }
    if (k == "router_id") {
      if (auto r = arguments(n, 1, 1); !r) return r;
      g.router_id = n.words[1];
    } else if (k == "vrrp_version") {
      auto v = integer(n, 1, 2, 3);
      if (!v) return std::unexpected(v.error());
      g.vrrp_version = static_cast<int>(*v);
    } else if (k == "vrrp_startup_delay") {
      auto v = seconds(n, 1, 3, Micros(0), Micros(3600'000'000LL));
      if (!v) return std::unexpected(v.error());
      g.startup_delay = *v;
    } else if (k == "enable_script_security") {
      if (auto r = flag(n); !r) return r;
      g.enable_script_security = true;
    } else if (k == "script_user") {
      if (auto r = set_user(g.script_user, g.script_group, n); !r) return r;
    } else {
      return fail(error_at(n, "unknown keyword in global_defs"));
    }
  }
  return {};
}

Result<Script> parse_script(const Node& s) {
  if (s.words.size() != 2 || !s.has_block) return fail(error_at(s, "expects a name and a { ... } block"));
  Script sc;
  sc.name = s.words[1];
  sc.where = where_of(s);
  constexpr Micros kMin{1000}, kMax{86400LL * 1'000'000};
  for (const Node& n : s.children) {
    const std::string& k = n.keyword();
    if (k == "script") {
      // keepalived takes the rest of the line, quoted or not.
      if (n.words.size() < 2 || n.has_block) return fail(error_at(n, "expects a command"));
      std::vector<std::string> rest(n.words.begin() + 1, n.words.end());
      auto argv = split_command(join(rest, " "));
      if (!argv) return fail(error_at(n, argv.error().message));
      sc.command.argv = std::move(*argv);
      sc.command.where = where_of(n);
    } else if (k == "interval" || k == "timeout") {
      auto v = seconds(n, 1, 3, kMin, kMax);
      if (!v) return std::unexpected(v.error());
      if (auto r = arguments(n, 1, 1); !r) return std::unexpected(r.error());
      (k == "interval" ? sc.interval : sc.timeout) = *v;
    } else if (k == "weight") {
      if (auto r = arguments(n, 1, 2); !r) return std::unexpected(r.error());
      auto v = integer(n, 1, -253, 253);
      if (!v) return std::unexpected(v.error());
      sc.weight = static_cast<int>(*v);
      if (n.words.size() == 3) {
        if (n.words[2] != "reverse")
          return fail(error_at(n, cat("unknown option '", n.words[2], "' (expected reverse)")));
        sc.reverse = true;
      }
    } else if (k == "rise" || k == "fall") {
      if (auto r = arguments(n, 1, 1); !r) return std::unexpected(r.error());
      auto v = integer(n, 1, 1, 1'000'000);
      if (!v) return std::unexpected(v.error());
      (k == "rise" ? sc.rise : sc.fall) = static_cast<int>(*v);
    } else if (k == "user") {
      if (auto r = set_user(sc.command.user, sc.command.group, n); !r) return std::unexpected(r.error());
    } else if (k == "init_fail") {
      if (auto r = flag(n); !r) return std::unexpected(r.error());
      sc.init_fail = true;
    } else {
      return fail(error_at(n, "unknown keyword in vrrp_script"));
    }
  }
  if (sc.command.argv.empty()) return fail(cat(s.where(), ": vrrp_script ", sc.name, ": script is required"));
  return sc;
}

Result<SyncGroup> parse_sync_group(const Node& s) {
  if (s.words.size() != 2 || !s.has_block) return fail(error_at(s, "expects a name and a { ... } block"));
  SyncGroup g;
  g.name = s.words[1];
  g.where = where_of(s);
  for (const Node& n : s.children) {
    auto notify = parse_notify_keyword(g.notify, n);
    if (!notify) return std::unexpected(notify.error());
    if (*notify) continue;
    if (n.keyword() == "group") {
      if (auto r = block(n); !r) return std::unexpected(r.error());
      for (const Node& m : n.children) {
        if (m.has_block) return fail(error_at(m, "does not take a { ... } block"));
        for (const auto& w : m.words) g.members.push_back(w);  // several names per line are allowed
      }
    } else {
      return fail(error_at(n, "unknown keyword in vrrp_sync_group"));
    }
  }
  if (g.members.empty()) return fail(cat(s.where(), ": vrrp_sync_group ", g.name, ": group { ... } lists no instance"));
  return g;
}

}  // namespace

Result<Config> parse(const std::vector<Node>& nodes) {
  Config cfg;
  // global_defs first: instances take their defaults from it wherever it is.
  bool seen_global = false;
  for (const Node& n : nodes) {
    if (n.keyword() != "global_defs") continue;
    if (seen_global) return fail(error_at(n, "given twice"));
    seen_global = true;
    if (auto r = parse_global(cfg.global, n); !r) return std::unexpected(r.error());
  }
  for (const Node& n : nodes) {
    const std::string& k = n.keyword();
    if (k == "global_defs") continue;
    if (k == "vrrp_script") {
      auto s = parse_script(n);
      if (!s) return std::unexpected(s.error());
      if (cfg.script(s->name)) return fail(error_at(n, cat("'", s->name, "' is defined twice")));
      cfg.scripts.push_back(std::move(*s));
    } else if (k == "vrrp_instance") {
      auto i = detail::parse_instance(n, cfg.global);
      if (!i) return std::unexpected(i.error());
      if (cfg.instance(i->name)) return fail(error_at(n, cat("'", i->name, "' is defined twice")));
      cfg.instances.push_back(std::move(*i));
    } else if (k == "vrrp_sync_group") {
      auto g = parse_sync_group(n);
      if (!g) return std::unexpected(g.error());
      cfg.sync_groups.push_back(std::move(*g));
    } else {
      return fail(error_at(n, "unknown keyword"));
    }
  }
  if (auto r = detail::validate(cfg); !r) return std::unexpected(r.error());
  return cfg;
}

Result<Config> load(const std::string& path) {
  auto nodes = lex_blocks_file(path);
  if (!nodes) return std::unexpected(nodes.error());
  auto cfg = parse(*nodes);
  if (cfg) cfg->file = path;
  return cfg;
}

}  // namespace tandem::vrrpd::config
