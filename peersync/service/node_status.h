#pragma once
// This node's status in one message (tandem.peersync.v1.NodeStatus): the
// balancer's health, backends and tables, vrrpd's instances, and the sync
// state with each peer. Each daemon is asked with a short deadline; one that
// does not answer is reported as such, never waited for.

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "peersync/service/peer_book.h"
#include "tandem/balancer/v1/admin.grpc.pb.h"
#include "tandem/balancer/v1/stick_tables.grpc.pb.h"
#include "tandem/peersync/v1/cluster.pb.h"
#include "tandem/peersync/v1/peersync.pb.h"
#include "tandem/vrrp/v1/vrrp.grpc.pb.h"

namespace tandem::peersync {

class NodeStatusSource {
 public:
  NodeStatusSource(std::string node, std::string balancer_socket, std::string vrrpd_socket, PeerBook& peers,
                   const Clock& clock);
  tandem::peersync::v1::NodeStatus collect();

 private:
  std::string node_, balancer_socket_, vrrpd_socket_;
  PeerBook& peers_;
  const Clock& clock_;
  std::unique_ptr<tandem::balancer::v1::Admin::Stub> admin_;
  std::unique_ptr<tandem::balancer::v1::StickTables::Stub> tables_;
  std::unique_ptr<tandem::vrrp::v1::Vrrp::Stub> vrrp_;
};

// What differs between two nodes' fingerprints, in words (sorted by `what`).
std::vector<tandem::peersync::v1::ConfigDifference> compare_fingerprints(
    const tandem::peersync::v1::ConfigFingerprint& local, const tandem::peersync::v1::ConfigFingerprint& peer);

}  // namespace tandem::peersync
