#pragma once
// tandem.vrrp.v1 instances as tandemctl shows them: state words, the
// effective priority explained, who holds the VIPs, and the JSON form shared
// by `vrrp`, `status` and `peers` (a peer's instances come through peersync).

#include <string>

#include "cli/json.h"
#include "cli/options.h"
#include "cli/table.h"
#include "tandem/vrrp/v1/vrrp.grpc.pb.h"

namespace tandem::cli {

// MASTER, BACKUP, FAULT, INIT, STOPPED ("?" for an unknown value).
std::string vrrp_state_word(tandem::vrrp::v1::State s);
// script, interface, balancer.
std::string tracker_kind_word(tandem::vrrp::v1::TrackerKind k);
// "configured 100; chk_web ok +50; eth1 failing -20 (no carrier)"; in FAULT
// "FAULT: " and the reason.
std::string priority_why(const tandem::vrrp::v1::Instance& i);
// `self` ("this node", or the node's name) when the VIPs are on the node that
// reported `i`, else the master it last heard ("198.18.0.1 (priority 150)"),
// else "nobody".
std::string vip_holder(const tandem::vrrp::v1::Instance& i, const std::string& self = "this node");
// The VIPs, comma-separated; "-" when none.
std::string vips_text(const tandem::vrrp::v1::Instance& i);
// Whether the instance is in a state an operator should look at (FAULT).
bool vrrp_degraded(const tandem::vrrp::v1::Instance& i);

// The stable JSON object of one instance (docs/tandemctl.md, "vrrp").
void instance_json(JsonWriter& j, const tandem::vrrp::v1::Instance& i);

// Vrrp.ListInstances. When `quiet` is false a failure is printed on stderr
// (naming the socket) and `rc` is the exit status; `error` holds it in words
// either way.
struct InstancesAnswer {
  int rc = kOk;
  std::string error;
  tandem::vrrp::v1::ListInstancesResponse resp;
};
InstancesAnswer fetch_instances(const Options& o, bool quiet);

}  // namespace tandem::cli
