#include "peersync/replication/peer_names.h"

#include <algorithm>

#include "common/strings.h"

namespace tandem::peersync {

std::vector<std::string> compare_peer_names(const std::string& node, const std::vector<std::string>& peers,
                                            const std::vector<PeersSectionView>& sections,
                                            const std::set<std::string>& used) {
  std::vector<std::string> out;
  auto has = [](const std::vector<std::string>& v, const std::string& n) {
    return std::find(v.begin(), v.end(), n) != v.end();
  };
  std::vector<const PeersSectionView*> compared;
  for (const auto& s : sections)
    if (used.contains(s.name) && !s.disabled) compared.push_back(&s);
  std::sort(compared.begin(), compared.end(), [](auto* a, auto* b) { return a->name < b->name; });
  for (const PeersSectionView* s : compared) {
    if (!has(s->peers, node))
      out.push_back(cat("the balancer's peers section '", s->name, "' does not name this node '", node,
                        "' (peersync.conf node)"));
    std::vector<std::string> theirs = s->peers;
    std::sort(theirs.begin(), theirs.end());
    for (const auto& n : theirs)
      if (n != node && !has(peers, n))
        out.push_back(cat("the balancer's peers section '", s->name, "' names '", n,
                          "', which peersync.conf has no peer for"));
    std::vector<std::string> ours = peers;
    std::sort(ours.begin(), ours.end());
    for (const auto& n : ours)
      if (!has(s->peers, n))
        out.push_back(cat("peersync.conf peer '", n, "' is missing from the balancer's peers section '", s->name, "'"));
  }
  for (const auto& u : used) {
    bool found = false;
    for (const auto& s : sections) found |= s.name == u;
    // An old balancer does not say its sections: nothing to compare then.
    if (!found && !sections.empty())
      out.push_back(cat("a replicated table names peers section '", u, "', which the balancer does not report"));
  }
  return out;
}

}  // namespace tandem::peersync
