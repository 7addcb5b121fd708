#include "vrrpd/track/priority.h"

#include <algorithm>

#include "common/strings.h"

namespace tandem::vrrpd::track {

std::string_view tracker_kind_name(TrackerKind k) {
  switch (k) {
    case TrackerKind::script:
      return "script";
    case TrackerKind::interface:
      return "interface";
    case TrackerKind::balancer:
      return "balancer";
  }
  return "?";
}

Effective combine(std::uint8_t base_priority, const std::vector<TrackerInput>& trackers) {
  Effective e;
  int total = base_priority;
  const int multiplier_for_ok = 1;
  for (const TrackerInput& t : trackers) {
    TrackerShare s{t, 0, false};
    const int m = t.reverse ? -1 : multiplier_for_ok;
    if (t.weight == 0) {
      // keepalived: `script_ok != (multiplier == 1)` puts the instance down.
      s.causes_fault = t.ok != (m == 1);
      if (s.causes_fault && !e.fault) {
        e.fault = true;
        e.reason = cat(tracker_kind_name(t.kind), " ", t.name, t.detail.empty() ? "" : cat(": ", t.detail));
      }
    } else if (t.weight > 0) {
      if (t.ok) s.delta = t.weight * m;
    } else {
      if (!t.ok) s.delta = t.weight * m;
    }
    total += s.delta;
    e.shares.push_back(std::move(s));
  }
  if (base_priority == 255)
    e.priority = 255;
  else
    e.priority = static_cast<std::uint8_t>(std::clamp(total, 1, 254));
  if (!e.fault) {
    std::vector<std::string> parts;
    for (const auto& s : e.shares)
      if (s.delta != 0) parts.push_back(cat(s.input.name, s.delta > 0 ? " +" : " ", s.delta));
    e.reason = parts.empty() ? "trackers ok" : join(parts, ", ");
  }
  return e;
}

}  // namespace tandem::vrrpd::track
