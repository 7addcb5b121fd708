#include "peersync/service/node_status.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>

#include <algorithm>
#include <map>

#include "common/grpc/health_client.h"
#include "common/strings.h"
#include "common/version.h"
#include "peersync/replication/schema.h"
#include "peersync/service/proto_convert.h"

namespace tandem::peersync {

namespace bpb = tandem::balancer::v1;
namespace ppb = tandem::peersync::v1;
namespace vpb = tandem::vrrp::v1;
using namespace std::chrono_literals;

namespace {
constexpr auto kAskTimeout = 1s;

std::shared_ptr<grpc::Channel> unix_channel(const std::string& path) {
  return grpc::CreateChannel("unix:" + path, grpc::InsecureChannelCredentials());
}

void deadline(grpc::ClientContext& ctx) { ctx.set_deadline(std::chrono::system_clock::now() + kAskTimeout); }

std::string join(const google::protobuf::RepeatedPtrField<std::string>& v) {
  std::vector<std::string> s(v.begin(), v.end());
  std::sort(s.begin(), s.end());
  std::string out;
  for (const auto& x : s) out += out.empty() ? x : cat(",", x);
  return out;
}
}  // namespace

NodeStatusSource::NodeStatusSource(std::string node, std::string balancer_socket, std::string vrrpd_socket,
                                   PeerBook& peers, const Clock& clock)
    : node_(std::move(node)),
      balancer_socket_(std::move(balancer_socket)),
      vrrpd_socket_(std::move(vrrpd_socket)),
      peers_(peers),
      clock_(clock) {
  auto b = unix_channel(balancer_socket_);
  admin_ = bpb::Admin::NewStub(b);
  tables_ = bpb::StickTables::NewStub(b);
  vrrp_ = vpb::Vrrp::NewStub(unix_channel(vrrpd_socket_));
}

ppb::NodeStatus NodeStatusSource::collect() {
  ppb::NodeStatus s;
  s.set_node(node_);
  s.set_version(kVersion);
  s.set_unix_ms(unix_ms(clock_.wall()));
  auto* fp = s.mutable_config();

  const HealthReport h = check_health(balancer_socket_, kAskTimeout);
  s.set_balancer_reachable(h.health == DaemonHealth::serving || h.health == DaemonHealth::not_serving);
  s.set_balancer_health(h.detail.empty() ? std::string(health_word(h.health))
                                         : cat(health_word(h.health), ": ", h.detail));
  fp->set_tables_unknown(true);
  fp->set_backends_unknown(true);
  if (s.balancer_reachable()) {
    grpc::ClientContext c1;
    deadline(c1);
    bpb::ListTablesResponse lt;
    if (tables_->ListTables(&c1, {}, &lt).ok()) {
      fp->set_tables_unknown(false);
      s.set_balancer_instance_id(lt.instance_id());
      for (auto& p : peer_name_problems(lt, node_, peers_.names())) s.add_peer_name_problems(std::move(p));
      for (auto d : lt.tables()) {
        if (d.peers().empty()) continue;
        d.clear_entries();
        d.clear_last_seq();
        *fp->add_tables() = d;
      }
    }
    grpc::ClientContext c2;
    deadline(c2);
    bpb::ListBackendsResponse lb;
    if (admin_->ListBackends(&c2, {}, &lb).ok()) {
      fp->set_backends_unknown(false);
      for (const auto& b : lb.backends()) {
        auto* sum = s.add_backends();
        sum->set_name(b.name());
        sum->set_servers_up(b.active_up() + b.backup_up());
        sum->set_servers_total(b.active_total() + b.backup_total());
        auto* fb = fp->add_backends();
        fb->set_backend(b.name());
        for (const auto& srv : b.servers()) fb->add_servers(srv.name());
      }
    }
  }

  grpc::ClientContext c3;
  deadline(c3);
  vpb::ListInstancesResponse li;
  auto st = vrrp_->ListInstances(&c3, {}, &li);
  s.set_vrrpd_reachable(st.ok());
  fp->set_vrrp_unknown(!st.ok());
  if (!st.ok()) s.set_vrrpd_error(cat(vrrpd_socket_, ": ", st.error_message()));
  for (const auto& i : li.instances()) {
    *s.add_vrrp_instances() = i;
    auto* v = fp->add_vrrp();
    v->set_name(i.name());
    v->set_vrid(i.vrid());
    *v->mutable_vips() = i.vips();
    v->set_advert_interval_ms(i.advert_interval_ms());
    v->set_version(i.version());
  }
  peers_.fill(&s, clock_.now(), clock_.wall());
  return s;
}

std::vector<ppb::ConfigDifference> compare_fingerprints(const ppb::ConfigFingerprint& local,
                                                        const ppb::ConfigFingerprint& peer) {
  // Everything is put in words per item, then the words compared: one rule
  // for every kind of item, and the words are what tandemctl shows.
  // A part one side could not read (its balancer or vrrpd is down) is
  // unknown there, not missing: not compared.
  const bool vrrp = !local.vrrp_unknown() && !peer.vrrp_unknown();
  const bool tables = !local.tables_unknown() && !peer.tables_unknown();
  const bool backends = !local.backends_unknown() && !peer.backends_unknown();
  std::map<std::string, std::pair<std::string, std::string>> items;
  auto add = [&](const ppb::ConfigFingerprint& fp, bool is_local) {
    auto put = [&](const std::string& what, std::string words) {
      auto& slot = items[what];
      (is_local ? slot.first : slot.second) = std::move(words);
    };
    for (const auto& v : fp.vrrp()) {
      if (!vrrp) break;
      put(cat("vrrp ", v.name(), " virtual_router_id"), cat(v.vrid()));
      put(cat("vrrp ", v.name(), " virtual_ipaddress"), join(v.vips()));
      put(cat("vrrp ", v.name(), " advert_int"), cat(v.advert_interval_ms(), " ms"));
      put(cat("vrrp ", v.name(), " version"), cat(v.version()));
    }
    if (tables)
      for (const auto& t : fp.tables()) put(cat("table ", t.name()), describe(from_proto(t)));
    if (backends)
      for (const auto& b : fp.backends()) put(cat("backend ", b.backend(), " servers"), join(b.servers()));
  };
  add(local, true);
  add(peer, false);
  std::vector<ppb::ConfigDifference> out;
  for (const auto& [what, pair] : items) {
    if (pair.first == pair.second) continue;
    ppb::ConfigDifference d;
    d.set_what(what);
    d.set_local(pair.first.empty() ? "missing" : pair.first);
    d.set_peer(pair.second.empty() ? "missing" : pair.second);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace tandem::peersync
