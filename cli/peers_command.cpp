// tandemctl peers: replication with the peer node, through peersync's
// Cluster service: reachability, each table's sync state and lag.
#include <cstdio>

#include "cli/cluster_view.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/table.h"
#include "common/strings.h"

namespace tandem::cli {

namespace ps = tandem::peersync::v1;

int cmd_peers(const Options& o) {
  if (o.command.size() != 1) {
    std::fprintf(stderr, "tandemctl: usage: peers\n");
    return kUsage;
  }
  ClusterAnswer a = fetch_cluster(o, false);
  if (a.rc != kOk) return a.rc;
  int rc = kOk;
  const bool color = !o.json && stdout_is_terminal();
  JsonWriter j;
  j.begin_object().key("node").value(a.resp.local().node()).key("peers").begin_array();
  Table t({"PEER", "ADDRESS", "REACHABLE", "OUTGOING", "INBOUND", "TABLE", "SYNC", "LAG", "REASON"});
  std::vector<std::string> problems;
  for (const ps::PeerView& p : a.resp.peers()) {
    const ps::PeerLink* link = link_for(a.resp.local(), p);
    for (auto& why : peer_problems(p, link)) problems.push_back(std::move(why));
    peer_json(j, p, link);
    const std::string reachable = p.reachable() ? "yes" : "unreachable";
    const std::string outgoing = link ? sync_state_word(link->state()) : "-";
    const std::string inbound = link ? inbound_text(link->inbound_connected(), link->inbound_lag_ms()) : "-";
    std::string reason = !p.reachable() ? p.error() : link ? link->reason() : "no replication link";
    if (!link || link->tables().empty()) {
      t.add(
          {p.node(), p.address(), colored(reachable, color), colored(outgoing, color), inbound, "-", "-", "-", reason});
      continue;
    }
    for (const ps::TableSync& ts : link->tables()) {
      std::string lag = cat(ts.lag_entries());
      if (ts.lag_entries()) append(lag, " (", duration_text(ts.lag_ms()), ')');
      if (ts.state() == ps::SYNC_STATE_SYNCING && ts.resync_total())
        append(lag, " resync ", ts.resync_done(), '/', ts.resync_total());
      t.add({p.node(), p.address(), colored(reachable, color), colored(outgoing, color), inbound, ts.table(),
             colored(sync_state_word(ts.state()), color), lag, ts.reason().empty() ? reason : ts.reason()});
    }
  }
  j.end_array();
  // Names the balancer's `peers` sections and peersync.conf do not share.
  for (const auto& why : a.resp.local().peer_name_problems()) problems.push_back(why);
  j.key("problems").begin_array();
  for (const auto& p : problems) j.value(p);
  j.end_array().end_object();
  if (!problems.empty()) rc = kDegraded;
  if (o.json) {
    std::fputs(j.str().c_str(), stdout);
  } else if (a.resp.peers().empty()) {
    std::printf("no peer configured in peersync at %s\n", o.peersync_socket.c_str());
  } else {
    std::fputs(t.render().c_str(), stdout);
  }
  if (!o.json)
    for (const auto& why : a.resp.local().peer_name_problems()) std::printf("peer names: %s\n", why.c_str());
  return rc;
}

}  // namespace tandem::cli
