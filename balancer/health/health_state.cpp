#include "balancer/health/health_state.h"

#include <algorithm>

namespace tandem::balancer::health {

std::string_view status_code(CheckStatus s) {
  switch (s) {
    case CheckStatus::none: return "";
    case CheckStatus::l4ok: return "L4OK";
    case CheckStatus::l4tout: return "L4TOUT";
    case CheckStatus::l4con: return "L4CON";
    case CheckStatus::l6ok: return "L6OK";
    case CheckStatus::l6tout: return "L6TOUT";
    case CheckStatus::l6rsp: return "L6RSP";
    case CheckStatus::l7ok: return "L7OK";
    case CheckStatus::l7okc: return "L7OKC";
    case CheckStatus::l7tout: return "L7TOUT";
    case CheckStatus::l7rsp: return "L7RSP";
    case CheckStatus::l7sts: return "L7STS";
    case CheckStatus::hana: return "HANA";
  }
  return "";
}

std::string_view status_description(CheckStatus s) {
  switch (s) {
    case CheckStatus::none: return "Not checked";
    case CheckStatus::l4ok: return "Layer4 check passed";
    case CheckStatus::l4tout: return "Layer4 timeout";
    case CheckStatus::l4con: return "Layer4 connection problem";
    case CheckStatus::l6ok: return "Layer6 check passed";
    case CheckStatus::l6tout: return "Layer6 timeout";
    case CheckStatus::l6rsp: return "Layer6 invalid response";
    case CheckStatus::l7ok: return "Layer7 check passed";
    case CheckStatus::l7okc: return "Layer7 check conditionally passed";
    case CheckStatus::l7tout: return "Layer7 timeout";
    case CheckStatus::l7rsp: return "Layer7 invalid response";
    case CheckStatus::l7sts: return "Layer7 wrong status";
    case CheckStatus::hana: return "Health analyze";
  }
  return "";
}

bool status_passed(CheckStatus s) {
  return s == CheckStatus::l4ok || s == CheckStatus::l6ok || s == CheckStatus::l7ok || s == CheckStatus::l7okc;
}

HealthState::HealthState(const HealthParams& p) : p_(p), health_(p.rise) {}

void HealthState::carry_from(const HealthState& before) {
  up_ = before.up_;
  nolb_ = before.nolb_;
  force_fastinter_ = before.force_fastinter_;
  up_since_ = before.up_since_;
  last_ = before.last_;
  // UP means at least rise; DOWN means below it.
  health_ = up_ ? std::clamp(before.health_, p_.rise, max_counter()) : std::min(before.health_, p_.rise - 1);
}

std::optional<Transition> HealthState::on_check(const CheckResult& r, SteadyTime now) {
  last_ = r;
  force_fastinter_ = false;
  if (status_passed(r.status)) return pass(r, now);
  return failure(r);
}

std::optional<Transition> HealthState::pass(const CheckResult& r, SteadyTime now) {
  // disable-on-404: a 404 keeps an UP server out of balancing (NOLB) and
  // does not bring a DOWN one up.
  if (r.status == CheckStatus::l7okc) {
    if (!up_) return failure(r);
    nolb_ = true;
  } else {
    nolb_ = false;
  }
  if (health_ < max_counter()) ++health_;
  if (!up_ && health_ >= p_.rise) {
    up_ = true;
    health_ = max_counter();
    up_since_ = now;
    return Transition{true, r};
  }
  return std::nullopt;
}

std::optional<Transition> HealthState::failure(const CheckResult& r) {
  if (up_) {
    if (health_ > p_.rise) {
      --health_;
      return std::nullopt;
    }
    up_ = false;
    nolb_ = false;
    health_ = 0;
    up_since_.reset();
    return Transition{false, r};
  }
  health_ = 0;
  return std::nullopt;
}

std::optional<Transition> HealthState::on_error_limit(SteadyTime) {
  force_fastinter_ = true;
  CheckResult r{CheckStatus::hana, 0, "too many consecutive errors on traffic", Millis(0)};
  switch (p_.on_error) {
    case OnError::fastinter:
      return std::nullopt;
    case OnError::fail_check:
      last_ = r;
      return failure(r);
    case OnError::sudden_death:
      // One more failure will mark it down.
      if (up_ && health_ > p_.rise) health_ = p_.rise + 1;
      last_ = r;
      return failure(r);
    case OnError::mark_down:
      last_ = r;
      if (!up_) return std::nullopt;
      health_ = std::min(health_, p_.rise);
      return failure(r);
  }
  return std::nullopt;
}

Millis HealthState::next_interval() const {
  if (force_fastinter_) return p_.fastinter;
  if (up_) return health_ >= max_counter() ? p_.inter : p_.fastinter;
  return health_ > 0 ? p_.fastinter : p_.downinter;
}

bool HealthState::starting(SteadyTime now) const {
  return up_ && up_since_ && p_.slowstart.count() > 0 && now - *up_since_ < p_.slowstart;
}

std::uint32_t HealthState::effective_weight(std::uint32_t weight, SteadyTime now) const {
  if (weight == 0 || !starting(now)) return weight;
  auto elapsed = std::chrono::duration_cast<Millis>(now - *up_since_).count();
  std::uint64_t w = static_cast<std::uint64_t>(weight) * static_cast<std::uint64_t>(elapsed) /
                    static_cast<std::uint64_t>(p_.slowstart.count());
  return static_cast<std::uint32_t>(std::max<std::uint64_t>(1, w));
}

}  // namespace tandem::balancer::health
