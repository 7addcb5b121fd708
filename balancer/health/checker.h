#pragma once
// Runs the health checks of every server with `check`, on a thread of its
// own: checks never run on (or block) a worker. One coroutine per server keeps
// exactly one check in flight; intervals follow the server's HealthState,
// spread at start and jittered (`spread-checks`). Transitions are applied to
// the runtime (the backend rebalances) and logged as HAProxy words them.

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "balancer/health/health_state.h"
#include "balancer/runtime/runtime.h"

namespace tandem::balancer::health {

// What the admin API and the stats page show of a server's checks.
struct CheckView {
  bool enabled = false;
  CheckResult last;
  std::uint32_t counter = 0;
  std::uint32_t rise = 0;
  std::uint32_t fall = 0;
};

class Checker {
 public:
  // A server changed state: (server, now up?, the check that decided).
  using Listener = std::function<void(runtime::Server&, bool up, const CheckResult&)>;

  explicit Checker(runtime::Runtime& rt);
  ~Checker();
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  void set_listener(Listener l) { listener_ = std::move(l); }
  // A reload: each server checked by both this checker and `before` (same
  // backend and server names, same check target) continues from the health
  // `before` knew, and the server's state follows. Before start().
  // Returns how many servers were carried over.
  std::size_t carry_from(const Checker& before);
  void start();
  void stop();

  // Thread-safe snapshot of a server's check state.
  CheckView view(const runtime::Server& s) const;
  std::size_t checked_servers() const { return entries_.size(); }

 private:
  struct Entry;
  asio::awaitable<void> loop(Entry& e, std::chrono::milliseconds first_delay);
  asio::awaitable<CheckResult> run_check(Entry& e);
  void apply(Entry& e, const std::optional<Transition>& t);
  void ramp(Entry& e);
  static void on_error_limit(void* ctx, runtime::Server& s);

  runtime::Runtime& rt_;
  asio::io_context io_{1};
  std::vector<std::unique_ptr<Entry>> entries_;
  mutable std::mutex mutex_;  // guards each entry's HealthState for view()
  Listener listener_;
  std::thread thread_;
};

}  // namespace tandem::balancer::health
