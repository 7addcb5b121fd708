#pragma once
// tandem.balancer.v1 objects as tandemctl shows them: state words, a
// backend's verdict, the JSON forms shared by `backends`, `servers`, `status`,
// and the calls that fetch them.

#include <string>

#include "cli/json.h"
#include "cli/options.h"
#include "tandem/balancer/v1/admin.grpc.pb.h"

namespace tandem::cli {

// UP, DOWN, MAINT, DRAIN, NOLB, STARTING.
std::string server_state_word(tandem::balancer::v1::ServerState s);
// ready, drain, maint.
std::string admin_state_word(tandem::balancer::v1::AdminState s);
// http, tcp.
std::string mode_word(tandem::balancer::v1::Mode m);

// A backend's verdict: UP (every active server up), degraded (some down),
// DOWN (servers, none usable), "no servers" (none configured). The last two
// make a read command exit 1.
struct BackendVerdict {
  std::string word;
  bool degraded = false;
};
BackendVerdict backend_verdict(const tandem::balancer::v1::Backend& b);

void server_json(JsonWriter& j, const tandem::balancer::v1::Server& s);

// Admin.ListBackends; on failure `rc` is the exit status and the error has
// been printed on stderr, naming the socket.
struct BackendsAnswer {
  int rc = kOk;
  tandem::balancer::v1::ListBackendsResponse resp;
};
BackendsAnswer fetch_backends(const Options& o, const std::string& name);

}  // namespace tandem::cli
