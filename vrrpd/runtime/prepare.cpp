#include "vrrpd/runtime/prepare.h"

#include "common/strings.h"

namespace tandem::vrrpd::runtime {

namespace {

Result<track::RunRequest> request_for(const config::Command& c, const config::GlobalDefs& g) {
  // keepalived runs scripts as script_user unless the script names its own.
  const std::string& user = c.user.empty() ? g.script_user : c.user;
  const std::string& group = c.user.empty() ? g.script_group : c.group;
  auto ids = track::resolve_user(user, group);
  if (!ids) return fail(cat(c.where.text(), ": ", ids.error().message));
  if (g.enable_script_security) {
    if (auto r = track::check_script_security(c.argv.front()); !r)
      return fail(cat(c.where.text(), ": enable_script_security: ", r.error().message));
  }
  return track::RunRequest{c.argv, ids->first, ids->second, config::Micros(0)};
}

Result<NotifyRequests> notify_for(const config::Notify& n, const config::GlobalDefs& g) {
  NotifyRequests out;
  const std::pair<const std::optional<config::Command>*, std::optional<track::RunRequest>*> slots[] = {
      {&n.master, &out.master},
      {&n.backup, &out.backup},
      {&n.fault, &out.fault},
      {&n.stop, &out.stop},
      {&n.any, &out.any}};
  for (auto [from, to] : slots) {
    if (!*from) continue;
    auto r = request_for(**from, g);
    if (!r) return std::unexpected(r.error());
    *to = std::move(*r);
  }
  return out;
}

}  // namespace

Result<Prepared> prepare(config::Config cfg) {
  Prepared p;
  for (const auto& s : cfg.scripts) {
    auto r = request_for(s.command, cfg.global);
    if (!r) return std::unexpected(r.error());
    p.scripts[s.name] = std::move(*r);
  }
  for (const auto& i : cfg.instances) {
    auto n = notify_for(i.notify, cfg.global);
    if (!n) return std::unexpected(n.error());
    p.instance_notify[i.name] = std::move(*n);
  }
  for (const auto& g : cfg.sync_groups) {
    auto n = notify_for(g.notify, cfg.global);
    if (!n) return std::unexpected(n.error());
    p.group_notify[g.name] = std::move(*n);
  }
  p.cfg = std::move(cfg);
  return p;
}

}  // namespace tandem::vrrpd::runtime
