#pragma once
// `stick on|match|store-request|store-response` for one request or TCP
// session: which server a key sticks to, and storing the server used.

#include "balancer/rules/context.h"
#include "balancer/runtime/backend.h"

namespace tandem::balancer::proxy {

struct StickMatch {
  runtime::Server* server = nullptr;  // the sticky server, usable (or DOWN with `option persist`)
  bool down = false;                  // the key sticks to a server that cannot take it
};

// The first `stick match`/`stick on` rule whose key has an entry naming a
// server of this backend. A DRAIN or NOLB server keeps its sticky clients
// (as with cookies); a DOWN or MAINT one is reported as `down`.
StickMatch stick_match(runtime::Backend& be, rules::EvalContext& ctx);

// Runs the store-request (`response` false, `stick on` included) or
// store-response rules: the keys now stick to `server`.
void stick_store(runtime::Backend& be, rules::EvalContext& ctx, const runtime::Server& server, bool response);

}  // namespace tandem::balancer::proxy
