#pragma once
// What the admin API shows, as plain values built by the daemon on its
// control thread (the gRPC layer converts them; the core has no gRPC).

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "vrrpd/fsm/fsm_types.h"
#include "vrrpd/packet/packet_types.h"
#include "vrrpd/track/tracker_types.h"

namespace tandem::vrrpd::runtime {

struct Counters {
  std::uint64_t adverts_received = 0;  // passed the checks
  std::uint64_t adverts_sent = 0;
  std::uint64_t priority_zero_received = 0;
  std::uint64_t priority_zero_sent = 0;
  std::uint64_t became_master = 0;
  std::uint64_t released_master = 0;
  std::array<std::uint64_t, packet::kDropReasonCount> drops{};
};

struct TransitionRecord {
  std::string instance;
  fsm::State from;
  fsm::State to;
  std::string reason;
  WallTime when;
};

struct InstanceStatus {
  std::string name;
  std::string interface;
  int vrid = 0;
  int version = 3;
  fsm::State state = fsm::State::init;
  WallTime state_since;
  int configured_priority = 0;
  int effective_priority = 0;
  std::vector<track::TrackerShare> shares;
  std::vector<std::string> vips;
  bool vips_held = false;
  std::string master_address;
  int master_priority = 0;
  int advert_interval_ms = 0;
  bool preempt = true;
  int preempt_delay_ms = 0;
  std::vector<std::string> unicast_peers;
  std::string sync_group;
  std::string fault_reason;
  bool accept = true;
  Counters counters;
  std::vector<TransitionRecord> recent;  // newest last
};

struct Status {
  std::string router_id;
  std::vector<InstanceStatus> instances;
};

// A change the admin API streams (WatchEvents).
struct Event {
  std::string instance;
  bool is_transition = true;
  TransitionRecord transition;  // when is_transition
  track::TrackerShare tracker;  // otherwise: a tracker's verdict changed
};

}  // namespace tandem::vrrpd::runtime
