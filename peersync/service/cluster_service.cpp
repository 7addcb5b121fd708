#include "peersync/service/cluster_service.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>

namespace tandem::peersync {

namespace ppb = tandem::peersync::v1;
using namespace std::chrono_literals;

ClusterService::ClusterService(NodeStatusSource& local, const std::vector<config::Peer>& peers, const TlsMaterial& tls,
                               ReloadHook reload)
    : local_(local), reload_(std::move(reload)) {
  set_peers(peers, tls);
}

void ClusterService::set_peers(const std::vector<config::Peer>& peers, const TlsMaterial& tls) {
  std::vector<Remote> next;
  for (const auto& p : peers)
    next.push_back({p, ppb::PeerSync::NewStub(grpc::CreateCustomChannel(p.address.text(), channel_credentials(tls),
                                                                        channel_arguments(p.name, tls)))});
  std::lock_guard lock(mu_);
  remotes_ = std::move(next);
}

std::vector<ClusterService::Remote> ClusterService::remotes() const {
  std::lock_guard lock(mu_);
  return remotes_;
}

grpc::Status ClusterService::GetClusterStatus(grpc::ServerContext*, const ppb::GetClusterStatusRequest*,
                                              ppb::ClusterStatus* resp) {
  *resp->mutable_local() = local_.collect();
  for (const auto& r : remotes()) {
    auto* view = resp->add_peers();
    view->set_node(r.peer.name);
    view->set_address(r.peer.address.text());
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 2s);
    ppb::NodeStatusResponse ns;
    auto st = r.stub->NodeStatus(&ctx, {}, &ns);
    view->set_reachable(st.ok());
    if (!st.ok()) {
      view->set_error(st.error_message());
      continue;
    }
    *view->mutable_status() = ns.status();
    for (auto& d : compare_fingerprints(resp->local().config(), ns.status().config()))
      *resp->add_differences() = std::move(d);
  }
  return grpc::Status::OK;
}

grpc::Status ClusterService::Reload(grpc::ServerContext*, const ppb::ClusterReloadRequest*,
                                    ppb::ClusterReloadResponse* resp) {
  auto r = reload_();
  resp->set_ok(bool(r));
  if (!r) {
    resp->set_error(r.error().message);
    return grpc::Status::OK;
  }
  for (const auto& a : r->applied) resp->add_applied(a);
  for (const auto& k : r->kept) resp->add_kept(k);
  return grpc::Status::OK;
}

}  // namespace tandem::peersync
