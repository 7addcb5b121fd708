#include "cli/balancer_view.h"

#include "cli/rpc.h"

namespace tandem::cli {

namespace pb = tandem::balancer::v1;

std::string server_state_word(pb::ServerState s) {
  switch (s) {
    case pb::SERVER_STATE_UP:
      return "UP";
    case pb::SERVER_STATE_DOWN:
      return "DOWN";
    case pb::SERVER_STATE_MAINT:
      return "MAINT";
    case pb::SERVER_STATE_DRAIN:
      return "DRAIN";
    case pb::SERVER_STATE_NOLB:
      return "NOLB";
    case pb::SERVER_STATE_STARTING:
      return "STARTING";
    default:
      return "?";
  }
}

std::string admin_state_word(pb::AdminState s) {
  switch (s) {
    case pb::ADMIN_STATE_READY:
      return "ready";
    case pb::ADMIN_STATE_DRAIN:
      return "drain";
    case pb::ADMIN_STATE_MAINT:
      return "maint";
    default:
      return "?";
  }
}

std::string mode_word(pb::Mode m) { return m == pb::MODE_HTTP ? "http" : "tcp"; }

BackendVerdict backend_verdict(const pb::Backend& b) {
  const bool empty = b.active_total() + b.backup_total() == 0;
  const bool none = !empty && b.active_up() + b.backup_up() == 0;
  if (empty) return {"no servers", true};
  if (none) return {"DOWN", true};
  if (b.active_up() < b.active_total()) return {"degraded", false};
  return {"UP", false};
}

void server_json(JsonWriter& j, const pb::Server& s) {
  j.begin_object();
  j.key("backend").value(s.backend()).key("name").value(s.name()).key("id").value(s.id());
  j.key("address").value(s.address()).key("state").value(server_state_word(s.state()));
  j.key("admin_state").value(admin_state_word(s.admin_state())).key("weight").value(s.weight());
  j.key("configured_weight").value(s.configured_weight()).key("backup").value(s.backup());
  j.key("check").begin_object().key("enabled").value(s.check().enabled()).key("status").value(s.check().status());
  j.key("description").value(s.check().description()).key("code").value(s.check().code());
  j.key("duration_ms").value(s.check().duration_ms()).end_object();
  j.key("current_sessions").value(static_cast<unsigned long long>(s.counters().current_sessions()));
  j.key("total_sessions").value(static_cast<unsigned long long>(s.counters().total_sessions()));
  j.key("http_requests").value(static_cast<unsigned long long>(s.counters().http_requests()));
  j.key("queue").value(static_cast<unsigned long long>(s.queue()));
  j.key("last_change_unix_ms").value(static_cast<long long>(s.last_change_unix_ms()));
  j.key("downtime_ms").value(static_cast<long long>(s.downtime_ms()));
  j.key("reason").value(s.reason());
  j.end_object();
}

BackendsAnswer fetch_backends(const Options& o, const std::string& name) {
  auto stub = pb::Admin::NewStub(channel_to(o.balancer_socket));
  grpc::ClientContext ctx;
  with_deadline(ctx);
  pb::ListBackendsRequest req;
  req.set_name(name);
  BackendsAnswer f;
  grpc::Status s = stub->ListBackends(&ctx, req, &f.resp);
  if (!s.ok()) f.rc = report_rpc_error("balancer", o.balancer_socket, s);
  return f;
}

}  // namespace tandem::cli
