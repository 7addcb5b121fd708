#pragma once
// track_balancer: the local balancer is healthy while its grpc.health.v1
// Watch stream says SERVING and (when `probe` is set) the data-path probe
// passes. A broken stream or NOT_SERVING fails it at once: that is what makes
// a balancer crash cost milliseconds. The probe catches a balancer that hangs
// with its admin socket still up; it is debounced with probe_fall/probe_rise.

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <memory>

#include "vrrpd/config/model.h"
#include "vrrpd/track/balancer_probes.h"
#include "vrrpd/track/rise_fall.h"

namespace tandem::vrrpd::track {

class BalancerTracker {
 public:
  BalancerTracker(asio::io_context& io, const config::BalancerTrack& cfg, std::unique_ptr<HealthWatch> watch,
                  Prober* prober);
  ~BalancerTracker();
  BalancerTracker(const BalancerTracker&) = delete;
  BalancerTracker& operator=(const BalancerTracker&) = delete;

  void start();
  void stop();

  bool ok() const { return watch_ == WatchStatus::serving && probe_.ok(); }
  // The watch has answered or failed once, and the probe (if any) has run.
  bool known() const { return watch_known_ && (!cfg_.probe || probe_known_); }
  const std::string& detail() const { return detail_; }
  const config::BalancerTrack& config() const { return cfg_; }
  void subscribe(std::function<void()> f) { listeners_.push_back(std::move(f)); }

 private:
  void on_watch(WatchStatus s, const std::string& detail);
  void probe_once();
  void on_probe(bool ok, const std::string& detail);
  void changed(bool was_ok, bool was_known);

  config::BalancerTrack cfg_;
  std::unique_ptr<HealthWatch> health_;
  Prober* prober_;
  asio::steady_timer probe_timer_;
  WatchStatus watch_ = WatchStatus::broken;
  bool watch_known_ = false;
  RiseFall probe_;
  bool probe_known_ = false;
  bool probing_ = false;
  bool stopped_ = true;
  std::string watch_detail_ = "connecting";
  std::string probe_detail_;
  std::string detail_ = "connecting";
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::vector<std::function<void()>> listeners_;
};

}  // namespace tandem::vrrpd::track
