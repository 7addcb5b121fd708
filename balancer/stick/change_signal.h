#pragma once
// Wakes Watch streams when a replicated table has changes to collect, without
// costing the data path a lock or a syscall per change.
//
// The data path calls notify() only when a shard's pending list goes from
// empty to non-empty, i.e. at most once per shard between two collections;
// notify() does a single atomic exchange unless a watcher is armed, and the
// first notify after arming wakes every waiter (one futex wake per batch).
//
// Watcher protocol (no lost wake-ups): g = arm(); collect and read; if nothing
// to send: wait(g, deadline). A change that lands after arm() either is seen by
// the read or bumps the generation, so wait() returns at once.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace tandem::balancer::stick {

class ChangeSignal;
namespace detail {
struct HeldSignal {  // this thread's ChangeSignal::Hold
  ChangeSignal* signal = nullptr;
  bool wanted = false;
};
}  // namespace detail

class ChangeSignal {
 public:
  // While a Hold lives, this thread's notify() calls on its signal only take
  // note; the Hold's end notifies once if any was made. An Apply batch from a
  // peer (8192 entries in a resync) then wakes the watchers once, not once
  // per change they had collected in between (each a futex wake, and a
  // collect on the other side).
  class Hold {
   public:
    explicit Hold(ChangeSignal& s) : signal_(s), outer_(held_) { held_ = {&s, false}; }
    ~Hold() {
      const bool wanted = held_.wanted;
      held_ = outer_;
      if (wanted) signal_.notify();
    }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

   private:
    ChangeSignal& signal_;
    detail::HeldSignal outer_;
  };

  // Data path: may be called with a shard lock held (lock order: shard ->
  // this mutex; waiters never hold this mutex while taking a shard lock).
  void notify() {
    if (held_.signal == this) {
      held_.wanted = true;
      return;
    }
    if (!armed_.exchange(false, std::memory_order_acq_rel)) return;
    wake();
  }

  // Wakes every waiter now (shutdown, or a change made outside the data path).
  void wake() {
    {
      std::lock_guard lock(mutex_);
      ++generation_;
    }
    cv_.notify_all();
  }

  std::uint64_t arm() {
    armed_.store(true, std::memory_order_seq_cst);
    std::lock_guard lock(mutex_);
    return generation_;
  }

  // True when woken (the generation moved past `seen`), false on timeout.
  template <typename Clock, typename Duration>
  bool wait_until(std::uint64_t seen, std::chrono::time_point<Clock, Duration> deadline) {
    std::unique_lock lock(mutex_);
    return cv_.wait_until(lock, deadline, [&] { return generation_ != seen; });
  }

 private:
  static inline thread_local detail::HeldSignal held_{};
  std::atomic<bool> armed_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::uint64_t generation_ = 0;
};

}  // namespace tandem::balancer::stick
