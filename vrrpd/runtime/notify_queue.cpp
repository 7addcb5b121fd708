#include "vrrpd/runtime/notify_queue.h"

#include "common/log.h"
#include "common/strings.h"

namespace tandem::vrrpd::runtime {

void NotifyQueue::push(track::RunRequest req) {
  if (req.timeout.count() == 0) req.timeout = kTimeout;
  queue_.push_back(std::move(req));
  if (!running_) next();
}

void NotifyQueue::next() {
  if (queue_.empty()) return;
  running_ = true;
  track::RunRequest req = std::move(queue_.front());
  queue_.pop_front();
  std::string what = join(req.argv, " ");
  std::weak_ptr<bool> alive = alive_;
  runner_.run(req, [this, alive, what](const track::ScriptResult& r) {
    if (alive.expired()) return;
    if (!r.ok)
      log::warning("notify script '", what, "': ", r.describe());
    else
      log::debug("notify script '", what, "': done");
    running_ = false;
    next();
  });
}

}  // namespace tandem::vrrpd::runtime
