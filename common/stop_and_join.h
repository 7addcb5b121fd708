#pragma once
// A helper thread that watches a `done` flag and must be gone before the
// scope that started it ends (whatever path leaves it): sets the flag, then
// joins. Used by peersync's per-stream watchdog and heartbeat threads.

#include <atomic>
#include <thread>

namespace tandem {

class StopAndJoin {
 public:
  StopAndJoin(std::atomic<bool>& done, std::thread& t) : done_(done), t_(t) {}
  StopAndJoin(const StopAndJoin&) = delete;
  StopAndJoin& operator=(const StopAndJoin&) = delete;
  ~StopAndJoin() {
    done_ = true;
    if (t_.joinable()) t_.join();
  }

 private:
  std::atomic<bool>& done_;
  std::thread& t_;
};

}  // namespace tandem
