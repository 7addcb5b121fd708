// tandemctl reload balancer|vrrpd|peersync: each daemon's Reload call on its
// admin socket. The answer says whether the new configuration was taken; the
// error (FILE:LINE: message) when not, with the old configuration still running.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/json.h"
#include "cli/rpc.h"
#include "tandem/balancer/v1/admin.grpc.pb.h"
#include "tandem/peersync/v1/cluster.grpc.pb.h"
#include "tandem/vrrp/v1/vrrp.grpc.pb.h"

namespace tandem::cli {

int cmd_reload(const Options& o) {
  if (o.command.size() != 2) {
    std::fprintf(stderr, "tandemctl: usage: reload balancer|vrrpd|peersync\n");
    return kUsage;
  }
  const std::string& daemon = o.command[1];
  grpc::ClientContext ctx;
  // A reload parses and builds the whole configuration: give it time.
  with_deadline(ctx, std::chrono::seconds(60));
  grpc::Status s;
  bool ok = false;
  std::string error;
  std::vector<std::string> applied, kept;  // peersync says what changed and what waits for a restart
  const std::string* socket = nullptr;
  if (daemon == "balancer") {
    socket = &o.balancer_socket;
    tandem::balancer::v1::ReloadResponse r;
    s = tandem::balancer::v1::Admin::NewStub(channel_to(*socket))->Reload(&ctx, {}, &r);
    ok = r.ok(), error = r.error();
  } else if (daemon == "vrrpd") {
    socket = &o.vrrpd_socket;
    tandem::vrrp::v1::ReloadResponse r;
    s = tandem::vrrp::v1::Vrrp::NewStub(channel_to(*socket))->Reload(&ctx, {}, &r);
    ok = r.ok(), error = r.error();
  } else if (daemon == "peersync") {
    socket = &o.peersync_socket;
    tandem::peersync::v1::ClusterReloadResponse r;
    s = tandem::peersync::v1::Cluster::NewStub(channel_to(*socket))->Reload(&ctx, {}, &r);
    ok = r.ok(), error = r.error();
    applied.assign(r.applied().begin(), r.applied().end());
    kept.assign(r.kept().begin(), r.kept().end());
  } else {
    std::fprintf(stderr, "tandemctl: reload: unknown daemon '%s' (balancer, vrrpd or peersync)\n", daemon.c_str());
    return kUsage;
  }
  if (!s.ok()) return report_rpc_error(daemon.c_str(), *socket, s);
  if (o.json) {
    JsonWriter j;
    j.begin_object().key("daemon").value(daemon).key("ok").value(ok).key("error").value(error);
    j.key("applied").begin_array();
    for (const auto& a : applied) j.value(a);
    j.end_array().key("kept").begin_array();
    for (const auto& k : kept) j.value(k);
    j.end_array().end_object();
    std::fputs(j.str().c_str(), stdout);
  } else if (ok) {
    std::printf("%s: configuration reloaded\n", daemon.c_str());
    for (const auto& a : applied) std::printf("  applied: %s\n", a.c_str());
    for (const auto& k : kept) std::printf("  not applied: %s\n", k.c_str());
  } else {
    std::printf("%s: reload refused, the running configuration stays: %s\n", daemon.c_str(), error.c_str());
  }
  return ok ? kOk : kDegraded;
}

}  // namespace tandem::cli
