#pragma once
// The state machine's vocabulary: its states, the events a driver feeds it and
// the actions it asks the driver to carry out. Plain values, nothing heavy.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "common/clock.h"
#include "vrrpd/ip_address.h"

namespace tandem::vrrpd::fsm {

using Micros = std::chrono::microseconds;

// RFC 5798 §6.4 (Initialize, Backup, Master), plus keepalived's FAULT (a
// tracker or the interface says this node cannot serve) and STOPPED.
enum class State : std::uint8_t { init, backup, master, fault, stopped };
std::string_view state_name(State s);  // "INIT", "BACKUP", "MASTER", "FAULT", "STOPPED"

enum class Timer : std::uint8_t {
  adver,            // RFC 5798 §6.2 Adver_Timer: the master's next advertisement
  master_down,      // RFC 5798 §6.2 Master_Down_Timer: the backup takes over when it fires
  garp_delay,       // the second burst of gratuitous ARP/NA after becoming master
  garp_refresh,     // periodic gratuitous ARP/NA while master
  garp_lower_prio,  // the repeat burst after a lower-priority master was seen
  handover,         // Failover: the longest we keep the VIPs waiting for the new master's advert
};
inline constexpr int kTimerCount = 6;
std::string_view timer_name(Timer t);

// An instance's parameters. A reload that keeps the instance's identity
// (interface, VRID, version, VIPs) changes them in place (Reconfigure).
struct Params {
  int version = 3;                    // 2 or 3
  Micros advert_interval{1'000'000};  // RFC 5798 §6.1 Advertisement_Interval
  std::uint8_t base_priority = 100;   // 1..255; 255 is the address owner
  bool preempt = true;                // RFC 5798 §6.1 Preempt_Mode (`nopreempt` clears it)
  Micros preempt_delay{0};            // keepalived: hold preemption this long after a lower master is seen
  bool start_as_master = false;       // `state MASTER`: wait one interval, not Master_Down_Interval
  bool accept = true;                 // RFC 5798 §6.1 Accept_Mode (enforced by the driver's filter)
  int garp_repeat = 5;                // ARP/NA per burst on becoming master
  Micros garp_delay{5'000'000};       // then a second burst after this (0: none)
  Micros garp_refresh{0};             // then one burst of garp_refresh_repeat every this (0: none)
  int garp_refresh_repeat = 1;
  int garp_lower_prio_repeat = 5;  // burst when a lower-priority master is seen (split brain healing)
  Micros garp_lower_prio_delay{5'000'000};
};

// ---- events ----
struct Start {};   // leave INIT (after vrrp_startup_delay)
struct Stop {};    // shutdown: priority 0 if master, then STOPPED
struct AdvertIn {  // an advertisement that passed the §7.1 checks
  IpAddress src;
  std::uint8_t priority = 0;
  Micros interval{0};  // v3: its Max Adver Int; v2: ignored
};
struct TimerFired {
  Timer timer;
};
struct Health {                 // the trackers' verdict
  std::uint8_t priority = 100;  // effective priority, already clamped to 1..254 (owner: 255)
  bool fault = false;
  std::string reason;  // why, in words, for the transition it may cause
};
struct Failover {};   // admin: hand the VIPs to the peer (make-before-break, see on_failover)
struct SelfAddress {  // the primary address adverts carry changed
  IpAddress address;
};
struct SyncTo {  // a vrrp_sync_group member moved: follow it
  State state;   // master or backup
  std::string reason;
};
struct Reconfigure {  // reload: same identity, new parameters; no transition of its own
  Params params;
};
using Event = std::variant<Start, Stop, AdvertIn, TimerFired, Health, Failover, SelfAddress, SyncTo, Reconfigure>;

// ---- actions ----
struct SendAdvert {
  std::uint8_t priority = 0;  // 0: "I am leaving", RFC 5798 §6.4.3
};
struct AddVips {};
struct RemoveVips {};
struct Announce {  // gratuitous ARP (IPv4) / unsolicited NA (IPv6) for every VIP
  int repeat = 1;
};
struct ArmTimer {
  Timer timer;
  SteadyTime at;
};
struct CancelTimer {
  Timer timer;
};
struct Transition {
  State from;
  State to;
  std::string reason;
};
struct Note {  // something an operator should see in the log
  std::string text;
};
using Action = std::variant<SendAdvert, AddVips, RemoveVips, Announce, ArmTimer, CancelTimer, Transition, Note>;

}  // namespace tandem::vrrpd::fsm
