#include "vrrpd/track/balancer_tracker.h"

#include "common/log.h"
#include "common/strings.h"

namespace tandem::vrrpd::track {

BalancerTracker::BalancerTracker(asio::io_context& io, const config::BalancerTrack& cfg,
                                 std::unique_ptr<HealthWatch> watch, Prober* prober)
    : cfg_(cfg),
      health_(std::move(watch)),
      prober_(prober),
      probe_timer_(io),
      probe_(cfg.probe_rise, cfg.probe_fall, true) {}

BalancerTracker::~BalancerTracker() { stop(); }

void BalancerTracker::start() {
  stopped_ = false;
  health_->start([this](WatchStatus s, const std::string& d) { on_watch(s, d); });
  if (cfg_.probe && prober_) probe_once();
}

void BalancerTracker::stop() {
  if (stopped_) return;
  stopped_ = true;
  health_->stop();
  probe_timer_.cancel();
}

void BalancerTracker::on_watch(WatchStatus s, const std::string& d) {
  if (stopped_) return;
  const bool was_ok = ok(), was_known = known();
  watch_ = s;
  watch_known_ = true;
  watch_detail_ = s == WatchStatus::serving       ? "SERVING"
                  : s == WatchStatus::not_serving ? "NOT_SERVING"
                                                  : cat("watch broken: ", d);
  changed(was_ok, was_known);
}

void BalancerTracker::probe_once() {
  if (stopped_) return;
  probe_timer_.expires_after(cfg_.probe_interval);
  probe_timer_.async_wait([this](asio::error_code ec) {
    if (!ec) probe_once();
  });
  if (probing_) return;  // the previous probe is still within its timeout
  probing_ = true;
  std::weak_ptr<bool> alive = alive_;
  prober_->probe(*cfg_.probe, cfg_.probe_send, cfg_.probe_timeout, [this, alive](bool ok, const std::string& d) {
    if (alive.expired()) return;
    probing_ = false;
    on_probe(ok, d);
  });
}

void BalancerTracker::on_probe(bool ok_now, const std::string& d) {
  if (stopped_) return;
  const bool was_ok = ok(), was_known = known();
  probe_.record(ok_now);
  probe_known_ = true;
  probe_detail_ = ok_now ? "" : d;
  changed(was_ok, was_known);
}

void BalancerTracker::changed(bool was_ok, bool was_known) {
  if (watch_ != WatchStatus::serving)
    detail_ = watch_detail_;
  else if (!probe_.ok())
    detail_ = cat("probe ", cfg_.probe->text(), ": ", probe_detail_);
  else
    detail_ = "SERVING";
  if (ok() != was_ok)
    log::notice("track_balancer ", cfg_.socket, ": ", ok() ? "healthy" : "failing", " (", detail_, ")");
  if (ok() != was_ok || known() != was_known)
    for (const auto& f : listeners_) f();
}

}  // namespace tandem::vrrpd::track
