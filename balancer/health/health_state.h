#pragma once
// The health of one server as checks and observed traffic report it: a pure
// state machine over HAProxy's health counter, with no sockets and no clock
// of its own (time is passed in).
//
// The counter runs from 0 to rise+fall-1. A server is UP while it is at least
// `rise`. A passed check adds one (up to the maximum); a failed check takes
// one from an UP server, and when that leaves it below `rise` the server goes
// DOWN and the counter to 0. So `fall` failures in a row take a fully healthy
// server down, `rise` successes in a row bring a down one up, and a server
// starts UP with the counter at `rise`: its first failure takes it down, as
// HAProxy does.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace tandem::balancer::health {

using Millis = std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

// HAProxy's check status codes (what the stats page and logs show).
enum class CheckStatus : std::uint8_t {
  none,    // no check has completed
  l4ok,    // L4OK: Layer4 check passed
  l4tout,  // L4TOUT: Layer4 timeout
  l4con,   // L4CON: Layer4 connection problem
  l6ok,    // L6OK: Layer6 check passed (check-ssl handshake, connect-only check)
  l6tout,  // L6TOUT: Layer6 timeout (TLS handshake)
  l6rsp,   // L6RSP: Layer6 invalid response (TLS handshake failed)
  l7ok,    // L7OK: Layer7 check passed
  l7okc,   // L7OKC: Layer7 check conditionally passed (disable-on-404)
  l7tout,  // L7TOUT: Layer7 timeout
  l7rsp,   // L7RSP: Layer7 invalid response
  l7sts,   // L7STS: Layer7 wrong status
  hana,    // HANA: too many errors observed on live traffic
};

std::string_view status_code(CheckStatus s);         // "L7STS"
std::string_view status_description(CheckStatus s);  // "Layer7 wrong status"
bool status_passed(CheckStatus s);

// What one check found.
struct CheckResult {
  CheckStatus status = CheckStatus::none;
  int code = 0;          // HTTP status, when there was one
  std::string info;      // the reason phrase or error text HAProxy shows in quotes
  Millis duration{0};
};

enum class OnError { fastinter, fail_check, sudden_death, mark_down };

struct HealthParams {
  std::uint32_t rise = 2;
  std::uint32_t fall = 3;
  Millis inter{2000};
  Millis fastinter{2000};
  Millis downinter{2000};
  Millis slowstart{0};
  std::uint32_t error_limit = 10;
  OnError on_error = OnError::fail_check;
};

// An UP/DOWN change, to log and apply.
struct Transition {
  bool up = false;  // the new state
  CheckResult cause;
};

class HealthState {
 public:
  explicit HealthState(const HealthParams& p);

  // A completed check. Returns the transition it caused, if any.
  std::optional<Transition> on_check(const CheckResult& r, SteadyTime now);

  // `error_limit` errors in a row were seen on live traffic (observe
  // layer4/layer7; the data path counts them): runs the `on-error` action.
  std::optional<Transition> on_error_limit(SteadyTime now);

  // A reload found this server again: continue from what the previous
  // configuration's checks learnt, within this one's rise/fall (a counter
  // past the new maximum is clamped, and an UP server stays UP).
  void carry_from(const HealthState& before);

  bool up() const { return up_; }
  // Up but a 404 said not to send new traffic (http-check disable-on-404).
  bool nolb() const { return up_ && nolb_; }
  std::uint32_t counter() const { return health_; }
  std::uint32_t max_counter() const { return p_.rise + p_.fall - 1; }
  const CheckResult& last() const { return last_; }

  // The wait before the next check: inter when fully up, fastinter while in
  // transition either way (or after an observed error asked for it), downinter
  // when fully down.
  Millis next_interval() const;

  // The weight to balance with now: during `slowstart` after coming up it
  // grows linearly from 1 to `weight` (a weight of 0 stays 0).
  std::uint32_t effective_weight(std::uint32_t weight, SteadyTime now) const;
  bool starting(SteadyTime now) const;

 private:
  std::optional<Transition> pass(const CheckResult& r, SteadyTime now);
  std::optional<Transition> failure(const CheckResult& r);

  HealthParams p_;
  std::uint32_t health_;
  bool up_ = true;
  bool nolb_ = false;
  bool force_fastinter_ = false;
  std::optional<SteadyTime> up_since_;  // set when it came up after being down
  CheckResult last_;
};

}  // namespace tandem::balancer::health
