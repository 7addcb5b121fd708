#pragma once
// The effective priority and FAULT verdict of an instance from its trackers,
// with keepalived's arithmetic (vrrp_track.c): a tracker of weight 0 that
// fails puts the instance in FAULT; a positive weight is added while the
// tracker succeeds, a negative one while it fails; `reverse` inverts the sign
// (and, for weight 0, which state is FAULT). The sum is kept in 1..254; the
// address owner's 255 never moves.

#include <cstdint>
#include <string>
#include <vector>

#include "vrrpd/track/tracker_types.h"

namespace tandem::vrrpd::track {

struct Effective {
  std::uint8_t priority = 100;
  bool fault = false;
  std::string reason;  // the first tracker causing FAULT, or the changes in words
  std::vector<TrackerShare> shares;
};

Effective combine(std::uint8_t base_priority, const std::vector<TrackerInput>& trackers);

}  // namespace tandem::vrrpd::track
