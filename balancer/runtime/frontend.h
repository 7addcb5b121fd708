#pragma once
// A frontend at run time: where its traffic goes, and its counters.

#include <string>

#include "balancer/config/model.h"
#include "balancer/rules/rule_set.h"
#include "balancer/net/cidr.h"
#include "balancer/runtime/backend.h"
#include "balancer/runtime/counters.h"
#include "balancer/tls/tls_context.h"

namespace tandem::balancer::logging {
class TrafficLog;
}

namespace tandem::balancer::runtime {

class Frontend {
 public:
  Frontend(const config::Proxy& cfg, Backend* default_backend, unsigned workers)
      : cfg_(cfg),
        default_backend_(default_backend),
        xff_except_(cfg.forwardfor.except.empty() ? std::nullopt : net::Cidr::parse(cfg.forwardfor.except)),
        counters_(workers) {}

  const std::string& name() const { return cfg_.name; }
  const config::Proxy& config() const { return cfg_; }
  config::Mode mode() const { return cfg_.mode; }
  Backend* default_backend() const { return default_backend_; }
  // `option forwardfor except NET`, parsed once.
  const std::optional<net::Cidr>& xff_except() const { return xff_except_; }

  Counters& counters() { return counters_; }
  SessionGauge& sessions() { return sessions_; }
  // The proxy's compiled rules (never null once the runtime is built).
  const rules::RuleSet& rules() const { return *rules_; }
  const std::shared_ptr<const rules::RuleSet>& rules_ptr() const { return rules_; }
  void set_rules(std::shared_ptr<const rules::RuleSet> r) { rules_ = std::move(r); }
  // Where its traffic is logged; null: nowhere. Set before workers start.
  const logging::TrafficLog* traffic_log() const { return traffic_log_; }
  void set_traffic_log(const logging::TrafficLog* t) { traffic_log_ = t; }
  // The TLS context of config().binds[i], null for a plain bind.
  const tls::BindContext* bind_tls(std::size_t i) const { return i < bind_tls_.size() ? bind_tls_[i].get() : nullptr; }
  void set_bind_tls(std::vector<std::unique_ptr<tls::BindContext>> v) { bind_tls_ = std::move(v); }

 private:
  config::Proxy cfg_;
  Backend* default_backend_;
  std::optional<net::Cidr> xff_except_;
  std::shared_ptr<const rules::RuleSet> rules_;
  std::vector<std::unique_ptr<tls::BindContext>> bind_tls_;
  Counters counters_;
  SessionGauge sessions_;
  const logging::TrafficLog* traffic_log_ = nullptr;
};

}  // namespace tandem::balancer::runtime
