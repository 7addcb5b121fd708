#pragma once
// tandem-vrrpd's validated configuration (keepalived's language): plain
// structs. Every item keeps the file and line it came from, so that errors
// found later (an unknown user, an insecure script) can still name them.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/net_address.h"
#include "vrrpd/ip_address.h"
#include "vrrpd/packet/packet_types.h"

namespace tandem::vrrpd::config {

using Micros = std::chrono::microseconds;

struct Where {
  std::string file;
  int line = 0;
  std::string text() const;  // "file:line"
  bool operator==(const Where&) const = default;
};

// A command as keepalived runs it: argv, optionally as another user.
struct Command {
  std::vector<std::string> argv;  // never empty when present
  std::string user;               // empty: global script_user, else the daemon's user
  std::string group;
  Where where;
  bool operator==(const Command&) const = default;
};

// `virtual_ipaddress { ADDR[/PREFIX] [dev IF] [label L] }`
struct Vip {
  IpPrefix prefix;
  std::string dev;    // empty: the instance's interface
  std::string label;  // IPv4 only
  Where where;
  bool operator==(const Vip&) const = default;
};

// `vrrp_script NAME { ... }`
struct Script {
  std::string name;
  Command command;
  Micros interval{1'000'000};
  Micros timeout{0};  // 0: the interval (keepalived)
  int weight = 0;     // -253..253; 0: a failure is FAULT
  bool reverse = false;
  int rise = 1;
  int fall = 1;
  bool init_fail = false;
  Where where;
  bool operator==(const Script&) const = default;
};

// An entry of `track_script { NAME [weight N [reverse]] }` or
// `track_interface { IF [weight N [reverse]] }`.
struct TrackRef {
  std::string name;
  std::optional<int> weight;  // overrides the script's
  bool reverse = false;
  Where where;
  bool operator==(const TrackRef&) const = default;
};

// Tandem's own tracker: `track_balancer { ... }` inside an instance.
struct BalancerTrack {
  std::string socket = "/run/tandem/balancer.sock";
  int weight = 0;                 // 0: FAULT; N: lower the priority by N
  std::optional<HostPort> probe;  // data-path probe target
  std::string probe_send;         // sent after connecting; then an answer is required
  Micros probe_interval{100'000};
  Micros probe_timeout{0};  // 0: probe_interval
  int probe_fall = 2;
  int probe_rise = 2;
  Micros watch_timeout{1'000'000};  // the Watch stream must answer within this
  Where where;
  bool operator==(const BalancerTrack&) const = default;
};

struct Notify {
  std::optional<Command> master, backup, fault, stop, any;  // notify_master ... notify
  bool operator==(const Notify&) const = default;
};

struct Garp {
  Micros master_delay{5'000'000};
  int master_repeat = 5;
  Micros master_refresh{0};
  int master_refresh_repeat = 1;
  std::optional<Micros> lower_prio_delay;  // unset: master_delay (keepalived)
  std::optional<int> lower_prio_repeat;    // unset: master_repeat
  bool operator==(const Garp&) const = default;
};

struct Instance {
  std::string name;
  Where where;
  bool initial_master = false;  // `state MASTER`
  std::string interface;
  std::uint8_t vrid = 0;        // 1..255
  std::uint8_t priority = 100;  // 1..255
  Micros advert_int{1'000'000};
  int version = 2;      // the instance's `version`, else global_defs' vrrp_version
  bool preempt = true;  // `nopreempt` clears it
  Micros preempt_delay{0};
  std::optional<IpAddress> source;       // unicast_src_ip or mcast_src_ip
  std::vector<IpAddress> unicast_peers;  // empty: multicast
  packet::V2Auth auth_type = packet::V2Auth::none;
  std::string auth_pass;           // at most 8 bytes
  std::vector<Vip> vips;           // advertised
  std::vector<Vip> vips_excluded;  // moved with the instance, not advertised
  std::vector<TrackRef> track_scripts;
  std::vector<TrackRef> track_interfaces;
  std::optional<BalancerTrack> track_balancer;
  bool track_primary = true;  // `dont_track_primary` clears it
  Notify notify;
  Garp garp;
  bool accept = true;  // keepalived's default outside strict mode
  packet::ChecksumMode checksum_mode = packet::ChecksumMode::rfc;
  std::string sync_group;  // filled from vrrp_sync_group
  bool ipv6() const { return !vips.empty() && vips.front().prefix.address.is_v6(); }
  bool operator==(const Instance&) const = default;
};

// What makes an instance the same virtual router across a reload: where it
// speaks (interface, version, unicast peers and source), which router it is
// (VRID) and what it moves (VIPs, sync group). Anything else changes in place.
bool same_identity(const Instance& a, const Instance& b);

// `vrrp_sync_group NAME { group { I1 I2 ... } notify_* }`
struct SyncGroup {
  std::string name;
  std::vector<std::string> members;
  Notify notify;
  Where where;
  bool operator==(const SyncGroup&) const = default;
};

struct GlobalDefs {
  std::string router_id;
  int vrrp_version = 2;  // keepalived's default
  Garp garp;
  Micros startup_delay{0};
  bool enable_script_security = false;
  std::string script_user;
  std::string script_group;
  bool operator==(const GlobalDefs&) const = default;
};

struct Config {
  std::string file;
  GlobalDefs global;
  std::vector<Script> scripts;
  std::vector<Instance> instances;
  std::vector<SyncGroup> sync_groups;

  const Script* script(const std::string& name) const;
  const Instance* instance(const std::string& name) const;
};

}  // namespace tandem::vrrpd::config
