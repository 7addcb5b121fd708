#include "balancer/runtime/carry_state.h"

namespace tandem::balancer::runtime {

namespace {

AdminState configured_admin(const config::Server& s) {
  return s.params.disabled ? AdminState::maint : AdminState::ready;
}

}  // namespace

CarryReport carry_server_state(const Runtime& before, Runtime& after) {
  CarryReport r;
  for (const auto& be : after.backends()) {
    const Backend* old_be = before.find_backend(be->name());
    if (!old_be) continue;
    bool changed = false;
    for (const auto& s : be->servers()) {
      const Server* old = old_be->find_server(s->name());
      if (!old) continue;
      ++r.matched;
      // Set at run time (differs from what the old file said) and the file's
      // own word unchanged: the operator's choice stands.
      if (old->admin_state() != configured_admin(old->config()) &&
          configured_admin(old->config()) == configured_admin(s->config())) {
        s->set_admin_state(old->admin_state());
        ++r.admin;
        changed = true;
      }
      if (old->user_weight() != old->configured_weight() && old->configured_weight() == s->configured_weight()) {
        s->set_weight(old->user_weight());
        ++r.weight;
        changed = true;
      }
    }
    if (changed) be->rebuild();
  }
  return r;
}

}  // namespace tandem::balancer::runtime
