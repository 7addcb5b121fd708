#include "vrrpd/track/script_check.h"

#include "common/log.h"

namespace tandem::vrrpd::track {

ScriptCheck::ScriptCheck(asio::io_context& io, ScriptRunner& runner, const config::Script& script, RunRequest request)
    : io_(io),
      runner_(runner),
      script_(script),
      request_(std::move(request)),
      timer_(io),
      verdict_(script.rise, script.fall, !script.init_fail),
      known_(script.init_fail),
      detail_(script.init_fail ? "init_fail" : "not run yet") {
  request_.timeout = script.timeout.count() > 0 ? script.timeout : script.interval;
}

void ScriptCheck::start() {
  stopped_ = false;
  run_once();
}

void ScriptCheck::stop() {
  stopped_ = true;
  timer_.cancel();
}

void ScriptCheck::run_once() {
  if (stopped_) return;
  // The next run is one interval after this one started; an overrunning
  // script delays it rather than running twice (its timeout bounds that).
  timer_.expires_after(script_.interval);
  timer_.async_wait([this](asio::error_code ec) {
    if (!ec) run_once();
  });
  if (running_) return;
  running_ = true;
  std::weak_ptr<bool> alive = alive_;
  runner_.run(request_, [this, alive](const ScriptResult& r) {
    if (alive.expired()) return;
    running_ = false;
    on_result(r);
  });
}

void ScriptCheck::on_result(const ScriptResult& r) {
  if (stopped_) return;
  const bool was_known = known_;
  const bool changed = verdict_.record(r.ok);
  known_ = true;
  detail_ = r.describe();
  if (changed)
    log::notice("vrrp_script ", script_.name, ": now ", verdict_.ok() ? "succeeding" : "failing", " (", detail_, ")");
  if (changed || !was_known)
    for (const auto& f : listeners_) f();
}

}  // namespace tandem::vrrpd::track
