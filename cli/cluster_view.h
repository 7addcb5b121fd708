#pragma once
// tandem.peersync.v1.Cluster as tandemctl shows it: the peer's view of
// itself, the replication link to it, what makes the pair degraded, and the
// JSON forms shared by `status` and `peers`.

#include <string>
#include <vector>

#include "cli/json.h"
#include "cli/options.h"
#include "tandem/peersync/v1/cluster.grpc.pb.h"

namespace tandem::cli {

// CONNECTING, SYNCING, SYNCED, DEGRADED.
std::string sync_state_word(tandem::peersync::v1::SyncState s);

// The local node's link to `peer` (by node name, else by address); null when
// the local status has none.
const tandem::peersync::v1::PeerLink* link_for(const tandem::peersync::v1::NodeStatus& local,
                                               const tandem::peersync::v1::PeerView& peer);

// Changes not yet acknowledged by the peer, over every table, and the age of
// the oldest one.
std::uint64_t lag_entries(const tandem::peersync::v1::PeerLink& link);
std::int64_t lag_ms(const tandem::peersync::v1::PeerLink& link);

// What is wrong with one peer, one sentence each ("peer lb2 (10.0.0.2:7400)
// is unreachable: ..."): empty when it is reachable and every table SYNCED
// both ways.
std::vector<std::string> peer_problems(const tandem::peersync::v1::PeerView& peer,
                                       const tandem::peersync::v1::PeerLink* link);

// The stable JSON object of one peer (docs/tandemctl.md, "peers").
void peer_json(JsonWriter& j, const tandem::peersync::v1::PeerView& peer, const tandem::peersync::v1::PeerLink* link);

// Cluster.GetClusterStatus; failures as fetch_instances (vrrp_view.h).
struct ClusterAnswer {
  int rc = kOk;
  std::string error;
  tandem::peersync::v1::ClusterStatus resp;
};
ClusterAnswer fetch_cluster(const Options& o, bool quiet);

}  // namespace tandem::cli
