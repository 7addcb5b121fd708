#pragma once
// Notify scripts (notify_master, notify, ...) run one after the other, in the
// order of the transitions that caused them, without blocking the daemon.
// A script that hangs is killed at its timeout so that the queue moves on.

#include <deque>
#include <memory>

#include "vrrpd/track/script_runner.h"

namespace tandem::vrrpd::runtime {

class NotifyQueue {
 public:
  static constexpr config::Micros kTimeout{30'000'000};

  explicit NotifyQueue(track::ScriptRunner& runner) : runner_(runner) {}
  void push(track::RunRequest req);
  bool idle() const { return !running_ && queue_.empty(); }

 private:
  void next();

  track::ScriptRunner& runner_;
  std::deque<track::RunRequest> queue_;
  bool running_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // completions after we are gone do nothing
};

}  // namespace tandem::vrrpd::runtime
