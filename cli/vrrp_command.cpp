// tandemctl vrrp: the local vrrpd's instances, their effective priority and
// why, and who holds the VIPs.
#include <cstdio>

#include "cli/commands.h"
#include "cli/vrrp_view.h"
#include "common/strings.h"

namespace tandem::cli {

namespace v1 = tandem::vrrp::v1;

int cmd_vrrp(const Options& o) {
  if (o.command.size() > 2) {
    std::fprintf(stderr, "tandemctl: usage: vrrp [INSTANCE]\n");
    return kUsage;
  }
  InstancesAnswer a = fetch_instances(o, false);
  if (a.rc != kOk) return a.rc;
  const std::string only = o.command.size() == 2 ? o.command[1] : "";
  int rc = kOk;
  bool found = only.empty();
  const bool color = !o.json && stdout_is_terminal();
  JsonWriter j;
  j.begin_object().key("router_id").value(a.resp.router_id()).key("instances").begin_array();
  Table t({"INSTANCE", "INTERFACE", "VRID", "STATE", "PRIORITY", "WHY", "VIPS", "HOLDER"});
  for (const v1::Instance& i : a.resp.instances()) {
    if (!only.empty() && i.name() != only) continue;
    found = true;
    if (vrrp_degraded(i)) rc = kDegraded;
    t.add({i.name(), i.interface(), cat(i.vrid()), colored(vrrp_state_word(i.state()), color),
           cat(i.effective_priority()), priority_why(i), vips_text(i), vip_holder(i)});
    instance_json(j, i);
  }
  j.end_array().end_object();
  if (!found) {
    std::fprintf(stderr, "tandemctl: no vrrp_instance named '%s' in the vrrpd at %s\n", only.c_str(),
                 o.vrrpd_socket.c_str());
    return kUsage;
  }
  std::fputs(o.json ? j.str().c_str() : t.render().c_str(), stdout);
  return rc;
}

}  // namespace tandem::cli
