// tandemctl backends | servers | server ...: the balancer's Admin API.
#include <cstdio>

#include "cli/balancer_view.h"
#include "cli/commands.h"
#include "cli/json.h"
#include "cli/rpc.h"
#include "cli/table.h"
#include "common/strings.h"
#include "tandem/balancer/v1/admin.grpc.pb.h"

namespace tandem::cli {

namespace pb = tandem::balancer::v1;

namespace {

std::string check_text(const pb::Server& s) {
  if (!s.check().enabled()) return "-";
  std::string t = s.check().status();
  if (s.check().code()) append(t, ' ', s.check().code());
  if (t.empty()) t = "pending";
  return t;
}

}  // namespace

int cmd_backends(const Options& o) {
  if (o.command.size() > 2) {
    std::fprintf(stderr, "tandemctl: usage: backends [NAME]\n");
    return kUsage;
  }
  BackendsAnswer f = fetch_backends(o, o.command.size() == 2 ? o.command[1] : "");
  if (f.rc != kOk) return f.rc;
  int rc = kOk;
  bool color = !o.json && stdout_is_terminal();
  JsonWriter j;
  j.begin_object().key("backends").begin_array();
  Table t({"BACKEND", "MODE", "BALANCE", "SERVERS", "BACKUP", "SESSIONS", "QUEUE", "STATUS"});
  for (const pb::Backend& b : f.resp.backends()) {
    BackendVerdict v = backend_verdict(b);
    if (v.degraded) rc = kDegraded;
    const std::string& status = v.word;
    t.add({b.name(), mode_word(b.mode()), b.balance(), cat(b.active_up(), '/', b.active_total()),
           cat(b.backup_up(), '/', b.backup_total()), cat(b.counters().current_sessions()), cat(b.queue()),
           colored(status, color)});
    j.begin_object().key("name").value(b.name()).key("mode").value(mode_word(b.mode()));
    j.key("balance").value(b.balance()).key("status").value(status);
    j.key("active_up").value(b.active_up()).key("active_total").value(b.active_total());
    j.key("backup_up").value(b.backup_up()).key("backup_total").value(b.backup_total());
    j.key("queue").value(static_cast<unsigned long long>(b.queue()));
    j.key("current_sessions").value(static_cast<unsigned long long>(b.counters().current_sessions()));
    j.key("total_sessions").value(static_cast<unsigned long long>(b.counters().total_sessions()));
    j.key("http_requests").value(static_cast<unsigned long long>(b.counters().http_requests()));
    j.key("servers").begin_array();
    for (const auto& s : b.servers()) server_json(j, s);
    j.end_array().end_object();
  }
  j.end_array().end_object();
  std::fputs(o.json ? j.str().c_str() : t.render().c_str(), stdout);
  return rc;
}

int cmd_servers(const Options& o) {
  if (o.command.size() > 2) {
    std::fprintf(stderr, "tandemctl: usage: servers [BACKEND]\n");
    return kUsage;
  }
  BackendsAnswer f = fetch_backends(o, o.command.size() == 2 ? o.command[1] : "");
  if (f.rc != kOk) return f.rc;
  int rc = kOk;
  bool color = !o.json && stdout_is_terminal();
  JsonWriter j;
  j.begin_object().key("servers").begin_array();
  Table t({"BACKEND", "SERVER", "ADDRESS", "STATE", "WEIGHT", "CHECK", "SESSIONS", "TOTAL", "REASON"});
  for (const pb::Backend& b : f.resp.backends()) {
    for (const pb::Server& s : b.servers()) {
      if (s.state() == pb::SERVER_STATE_DOWN) rc = kDegraded;
      std::string role = s.backup() ? " (backup)" : "";
      t.add({b.name(), s.name() + role, s.address(), colored(server_state_word(s.state()), color), cat(s.weight()),
             check_text(s), cat(s.counters().current_sessions()), cat(s.counters().total_sessions()), s.reason()});
      server_json(j, s);
    }
  }
  j.end_array().end_object();
  std::fputs(o.json ? j.str().c_str() : t.render().c_str(), stdout);
  return rc;
}

int cmd_server(const Options& o) {
  const auto& c = o.command;
  auto usage = [] {
    std::fprintf(stderr,
                 "tandemctl: usage: server ready|drain|maint BACKEND/SERVER | server weight BACKEND/SERVER N\n");
    return kUsage;
  };
  if (c.size() < 3) return usage();
  const std::string& verb = c[1];
  size_t slash = c[2].find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == c[2].size()) return usage();
  std::string backend = c[2].substr(0, slash), server = c[2].substr(slash + 1);
  auto stub = pb::Admin::NewStub(channel_to(o.balancer_socket));
  grpc::ClientContext ctx;
  with_deadline(ctx);
  pb::Server out;
  grpc::Status s;
  if (verb == "weight") {
    unsigned long long w = 0;
    if (c.size() != 4 || !parse_uint(c[3], w) || w > 256) {
      std::fprintf(stderr, "tandemctl: server weight: the weight must be a number in 0..256\n");
      return kUsage;
    }
    pb::SetServerWeightRequest req;
    req.set_backend(backend);
    req.set_server(server);
    req.set_weight(static_cast<std::uint32_t>(w));
    s = stub->SetServerWeight(&ctx, req, &out);
  } else if (verb == "ready" || verb == "drain" || verb == "maint") {
    if (c.size() != 3) return usage();
    pb::SetServerStateRequest req;
    req.set_backend(backend);
    req.set_server(server);
    req.set_state(verb == "ready"   ? pb::ADMIN_STATE_READY
                  : verb == "drain" ? pb::ADMIN_STATE_DRAIN
                                    : pb::ADMIN_STATE_MAINT);
    s = stub->SetServerState(&ctx, req, &out);
  } else {
    return usage();
  }
  if (!s.ok()) return report_rpc_error("balancer", o.balancer_socket, s);
  if (o.json) {
    JsonWriter j;
    server_json(j, out);
    std::fputs(j.str().c_str(), stdout);
  } else {
    std::printf("%s/%s: %s, weight %u\n", out.backend().c_str(), out.name().c_str(),
                server_state_word(out.state()).c_str(), out.weight());
  }
  return kOk;
}

}  // namespace tandem::cli
