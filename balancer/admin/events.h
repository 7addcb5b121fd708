#pragma once
// A broadcast of balancer events (server state changes, readiness, reloads)
// for Admin.WatchEvents. Publishers never block: each subscriber has a
// bounded queue, and a subscriber that falls behind loses its oldest events
// (and is told so) rather than slowing the balancer.

#include <condition_variable>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "tandem/balancer/v1/admin.pb.h"

namespace tandem::balancer::admin {

class EventBus {
 public:
  class Subscription {
   public:
    explicit Subscription(EventBus& bus);
    ~Subscription();
    // The next event, or nullopt after `timeout` (so the caller can check
    // whether its client is still there).
    std::optional<tandem::balancer::v1::BalancerEvent> next(std::chrono::milliseconds timeout);
    std::uint64_t dropped() const;

   private:
    friend class EventBus;
    EventBus& bus_;
    std::deque<tandem::balancer::v1::BalancerEvent> queue_;  // guarded by bus_.mutex_
    std::uint64_t dropped_ = 0;
  };

  static constexpr std::size_t kQueueLimit = 1024;

  void publish(const tandem::balancer::v1::BalancerEvent& e);

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::set<Subscription*> subs_;
};

}  // namespace tandem::balancer::admin
