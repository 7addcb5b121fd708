#pragma once
// tandem.peersync.v1.Cluster on the local admin socket: this node's status,
// each peer's (asked over PeerSync.NodeStatus with a deadline), and what
// differs between their configurations, in one answer for `tandemctl status`.

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "peersync/service/node_status.h"
#include "peersync/service/tls.h"
#include "tandem/peersync/v1/cluster.grpc.pb.h"
#include "tandem/peersync/v1/peersync.grpc.pb.h"

namespace tandem::peersync {

class ClusterService final : public tandem::peersync::v1::Cluster::Service {
 public:
  // `reload` re-reads peersync.conf and applies it; "FILE:LINE: message"
  // when it cannot be applied (the running configuration stays).
  struct ReloadOutcome {
    std::vector<std::string> applied;  // what changed, in words
    std::vector<std::string> kept;     // changed in the file, applies at restart
  };
  using ReloadHook = std::function<Result<ReloadOutcome>()>;
  ClusterService(NodeStatusSource& local, const std::vector<config::Peer>& peers, const TlsMaterial& tls,
                 ReloadHook reload);
  // After a reload: the peers asked for their status, and how.
  void set_peers(const std::vector<config::Peer>& peers, const TlsMaterial& tls);

  grpc::Status GetClusterStatus(grpc::ServerContext* ctx, const tandem::peersync::v1::GetClusterStatusRequest* req,
                                tandem::peersync::v1::ClusterStatus* resp) override;
  grpc::Status Reload(grpc::ServerContext* ctx, const tandem::peersync::v1::ClusterReloadRequest* req,
                      tandem::peersync::v1::ClusterReloadResponse* resp) override;

 private:
  struct Remote {
    config::Peer peer;
    std::shared_ptr<tandem::peersync::v1::PeerSync::Stub> stub;
  };
  std::vector<Remote> remotes() const;
  NodeStatusSource& local_;
  mutable std::mutex mu_;
  std::vector<Remote> remotes_;  // guarded by mu_
  ReloadHook reload_;
};

}  // namespace tandem::peersync
