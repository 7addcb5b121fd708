#pragma once
// The balancer's `peers` sections and peersync.conf name the same nodes: a
// name in one that the other lacks is reported in words (log, NodeStatus,
// `tandemctl peers`), never ignored. Only sections some replicated table uses
// are compared (HAProxy allows unused ones); a `disabled` one replicates
// nothing and is skipped.

#include <set>
#include <string>
#include <vector>

namespace tandem::peersync {

struct PeersSectionView {
  std::string name;
  std::vector<std::string> peers;  // every `peer` name, this node's included
  bool disabled = false;
};

// `node`: peersync.conf's node; `peers`: its peer names; `used`: sections
// named by the balancer's replicated tables. Sorted by section, then name.
std::vector<std::string> compare_peer_names(const std::string& node, const std::vector<std::string>& peers,
                                            const std::vector<PeersSectionView>& sections,
                                            const std::set<std::string>& used);

}  // namespace tandem::peersync
