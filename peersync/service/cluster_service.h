#pragma once
// tandem.peersync.v1.Cluster on the local admin socket: this node's status,
// each peer's (asked over PeerSync.NodeStatus with a deadline), and what
// differs between their configurations, in one answer for `tandemctl status`.

#include <functional>
#include <memory>
#include <vector>

#include "peersync/service/node_status.h"
#include "peersync/service/tls.h"
#include "tandem/peersync/v1/cluster.grpc.pb.h"
#include "tandem/peersync/v1/peersync.grpc.pb.h"

namespace tandem::peersync {

class ClusterService final : public tandem::peersync::v1::Cluster::Service {
 public:
  // `reload` re-reads peersync.conf and returns "FILE:LINE: message" when it
  // cannot be applied.
  using ReloadHook = std::function<Result<void>()>;
  ClusterService(NodeStatusSource& local, const std::vector<config::Peer>& peers, const TlsMaterial& tls,
                 ReloadHook reload);

  grpc::Status GetClusterStatus(grpc::ServerContext* ctx, const tandem::peersync::v1::GetClusterStatusRequest* req,
                                tandem::peersync::v1::ClusterStatus* resp) override;
  grpc::Status Reload(grpc::ServerContext* ctx, const tandem::peersync::v1::ClusterReloadRequest* req,
                      tandem::peersync::v1::ClusterReloadResponse* resp) override;

 private:
  struct Remote {
    config::Peer peer;
    std::unique_ptr<tandem::peersync::v1::PeerSync::Stub> stub;
  };
  NodeStatusSource& local_;
  std::vector<Remote> remotes_;
  ReloadHook reload_;
};

}  // namespace tandem::peersync
