#pragma once
// What a reload of peersync.conf changes, decided without touching anything:
// which peers start, stop or re-dial, whether the TLS material changed, and
// which settings cannot change in a running process (reported, and kept at
// their running values until a restart).

#include <string>
#include <vector>

#include "peersync/config/model.h"

namespace tandem::peersync::config {

struct ReloadPlan {
  std::vector<Peer> added;        // new peers: a link starts
  std::vector<std::string> removed;  // peers no longer configured: their links stop
  std::vector<Peer> readdressed;  // same name, another address: that link re-dials
  bool tls_changed = false;       // on/off, files or their contents: every link re-dials, the port is re-opened
  // "WHAT: changed (RUNNING -> FILE); takes effect when tandem-peersync restarts"
  std::vector<std::string> kept;
  // `next` with every setting in `kept` set back to the running value: the
  // configuration that runs once the plan is applied.
  Config effective;

  bool changes_links() const { return !added.empty() || !removed.empty() || !readdressed.empty() || tls_changed; }
};

// `tls_material_changed`: the caller read the files `next` names and found
// other bytes than the running ones (a renewed certificate at the same path).
ReloadPlan plan_reload(const Config& running, const Config& next, bool tls_material_changed);

}  // namespace tandem::peersync::config
