#include "vrrpd/config/parser.h"

#include "common/strings.h"

namespace tandem::vrrpd::config {

namespace {

std::string err(const Node& n, std::string_view msg) { return cat(n.where(), ": ", n.keyword(), ": ", msg); }

Result<std::uint32_t> number(const Node& n, std::uint32_t min, std::uint32_t max) {
  unsigned long long v = 0;
  if (n.words.size() != 2 || !parse_uint(n.words[1], v) || v < min || v > max)
    return fail(err(n, cat("expects a number in ", min, "..", max, n.words.size() > 1 ? cat(", got '", n.words[1], "'") : "")));
  return static_cast<std::uint32_t>(v);
}

Result<void> parse_instance(Instance& inst, const Node& block) {
  for (const Node& n : block.children) {
    const std::string& k = n.keyword();
    if (k == "state") {
      if (n.words.size() != 2 || (n.words[1] != "MASTER" && n.words[1] != "BACKUP"))
        return fail(err(n, "expects MASTER or BACKUP"));
      inst.initial_master = n.words[1] == "MASTER";
    } else if (k == "interface") {
      if (n.words.size() != 2) return fail(err(n, "expects an interface name"));
      inst.interface = n.words[1];
    } else if (k == "virtual_router_id") {
      auto v = number(n, 1, 255);
      if (!v) return std::unexpected(v.error());
      inst.vrid = *v;
    } else if (k == "priority") {
      auto v = number(n, 1, 255);
      if (!v) return std::unexpected(v.error());
      inst.priority = *v;
    } else if (k == "virtual_ipaddress") {
      if (!n.has_block) return fail(err(n, "expects a { ... } block of addresses"));
      for (const Node& a : n.children) inst.vips.push_back(Vip{a.words[0], "", ""});
    } else {
      return fail(err(n, "unknown keyword in vrrp_instance"));
    }
  }
  if (inst.vrid == 0) return fail(cat(block.where(), ": vrrp_instance ", inst.name, ": virtual_router_id is required"));
  if (inst.interface.empty()) return fail(cat(block.where(), ": vrrp_instance ", inst.name, ": interface is required"));
  return {};
}

}  // namespace

Result<Config> parse(const std::vector<Node>& nodes) {
  Config cfg;
  for (const Node& n : nodes) {
    const std::string& k = n.keyword();
    if (k == "global_defs") {
      for (const Node& g : n.children) {
        if (g.keyword() == "router_id" && g.words.size() == 2) {
          cfg.global.router_id = g.words[1];
        } else if (g.keyword() == "vrrp_version") {
          auto v = number(g, 2, 3);
          if (!v) return std::unexpected(v.error());
          cfg.global.vrrp_version = *v;
        } else {
          return fail(err(g, "unknown keyword in global_defs"));
        }
      }
    } else if (k == "vrrp_instance") {
      if (n.words.size() != 2 || !n.has_block) return fail(err(n, "expects a name and a { ... } block"));
      Instance inst;
      inst.name = n.words[1];
      inst.file = n.file;
      inst.line = n.line;
      if (auto r = parse_instance(inst, n); !r) return std::unexpected(r.error());
      cfg.instances.push_back(std::move(inst));
    } else {
      return fail(err(n, "unknown keyword"));
    }
  }
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
