#pragma once
// One vrrp_script: run every `interval` (never two at once), debounced with
// rise/fall, shared by every instance that tracks it.

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <vector>

#include "common/clock.h"
#include "vrrpd/config/model.h"
#include "vrrpd/track/rise_fall.h"
#include "vrrpd/track/script_runner.h"

namespace tandem::vrrpd::track {

class ScriptCheck {
 public:
  ScriptCheck(asio::io_context& io, ScriptRunner& runner, const config::Script& script, RunRequest request);
  ScriptCheck(const ScriptCheck&) = delete;
  ScriptCheck& operator=(const ScriptCheck&) = delete;

  void start();  // the first run starts at once
  void stop();

  const config::Script& script() const { return script_; }
  bool ok() const { return verdict_.ok(); }
  // True once a first result is in (or from the start with init_fail): until
  // then instances that track it wait in INIT, as keepalived's do.
  bool known() const { return known_; }
  const std::string& detail() const { return detail_; }
  // Called after the verdict changed or became known.
  void subscribe(std::function<void()> f) { listeners_.push_back(std::move(f)); }

 private:
  void run_once();
  void on_result(const ScriptResult& r);

  asio::io_context& io_;
  ScriptRunner& runner_;
  config::Script script_;
  RunRequest request_;
  asio::steady_timer timer_;
  RiseFall verdict_;
  bool known_;
  bool running_ = false;
  bool stopped_ = true;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::string detail_;
  std::vector<std::function<void()>> listeners_;
};

}  // namespace tandem::vrrpd::track
