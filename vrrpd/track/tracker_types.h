#pragma once
// What trackers tell instances, as plain values.

#include <string>
#include <string_view>

namespace tandem::vrrpd::track {

enum class TrackerKind { script, interface, balancer };
std::string_view tracker_kind_name(TrackerKind k);

// One tracker as one instance sees it: its verdict and how it weighs.
struct TrackerInput {
  std::string name;  // script name, interface name, or the balancer's socket
  TrackerKind kind = TrackerKind::script;
  int weight = 0;        // keepalived's: 0 means a failure is FAULT
  bool reverse = false;  // keepalived's `weight N reverse`
  bool ok = true;
  std::string detail;  // the last result in words
};

// Its effect on the instance now.
struct TrackerShare {
  TrackerInput input;
  int delta = 0;              // added to the priority
  bool causes_fault = false;  // weight 0 and failing (or succeeding, reversed)
};

}  // namespace tandem::vrrpd::track
