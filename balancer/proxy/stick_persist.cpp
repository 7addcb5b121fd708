#include "balancer/proxy/stick_persist.h"

#include "balancer/rules/stick_glue.h"
#include "balancer/stick/stick_table.h"

namespace tandem::balancer::proxy {

namespace {

stick::StickTable* table_of(const rules::StickRule& r) {
  return static_cast<stick::StickTable*>(const_cast<void*>(r.table));
}

bool key_of(const rules::StickRule& r, stick::StickTable& t, rules::EvalContext& ctx, stick::KeyBuf& k) {
  if (r.cond && !r.cond->eval(ctx)) return false;
  return rules::sample_to_key(r.key->eval(ctx), t.key_format(), k);
}

}  // namespace

StickMatch stick_match(runtime::Backend& be, rules::EvalContext& ctx) {
  for (const rules::StickRule& r : be.rules().stick_rules()) {
    if (!r.matches()) continue;
    stick::StickTable* t = table_of(r);
    stick::KeyBuf k;
    if (!key_of(r, *t, ctx, k)) continue;
    auto found = t->match_server(k.view(), ctx.now);
    if (!found) continue;
    runtime::Server* server = nullptr;
    for (const auto& s : be.servers()) {
      // By local id; an entry learned from a peer whose server has no local
      // id here is matched by name.
      if (found->id ? s->id() == found->id : s->name() == t->server_name(found->ref)) {
        server = s.get();
        break;
      }
    }
    if (!server) continue;  // a server of another backend sharing the table
    runtime::ServerState st = server->state();
    bool alive =
        st == runtime::ServerState::up || st == runtime::ServerState::drain || st == runtime::ServerState::nolb;
    if (alive || (be.config().persist && st == runtime::ServerState::down)) return {server, false};
    return {nullptr, true};
  }
  return {};
}

void stick_store(runtime::Backend& be, rules::EvalContext& ctx, const runtime::Server& server, bool response) {
  const auto& rules = be.rules().stick_rules();
  std::size_t si = 0;
  while (si < be.servers().size() && be.servers()[si].get() != &server) ++si;
  if (si == be.servers().size()) return;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const rules::StickRule& r = rules[i];
    if (response ? r.kind != rules::StickRule::Kind::store_response : !r.stores_request()) continue;
    stick::StickTable* t = table_of(r);
    stick::KeyBuf k;
    if (!key_of(r, *t, ctx, k)) continue;
    t->store_server(k.view(), be.stick_ref(i, si), ctx.now);
  }
}

}  // namespace tandem::balancer::proxy
