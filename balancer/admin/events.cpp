#include "balancer/admin/events.h"

namespace tandem::balancer::admin {

EventBus::Subscription::Subscription(EventBus& bus) : bus_(bus) {
  std::lock_guard lock(bus_.mutex_);
  bus_.subs_.insert(this);
}

EventBus::Subscription::~Subscription() {
  std::lock_guard lock(bus_.mutex_);
  bus_.subs_.erase(this);
}

std::optional<tandem::balancer::v1::BalancerEvent> EventBus::Subscription::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(bus_.mutex_);
  if (!bus_.cv_.wait_for(lock, timeout, [&] { return !queue_.empty(); })) return std::nullopt;
  auto e = std::move(queue_.front());
  queue_.pop_front();
  return e;
}

std::uint64_t EventBus::Subscription::dropped() const {
  std::lock_guard lock(bus_.mutex_);
  return dropped_;
}

void EventBus::publish(const tandem::balancer::v1::BalancerEvent& e) {
  {
    std::lock_guard lock(mutex_);
    for (Subscription* s : subs_) {
      if (s->queue_.size() >= kQueueLimit) {
        s->queue_.pop_front();
        ++s->dropped_;
      }
      s->queue_.push_back(e);
    }
  }
  cv_.notify_all();
}

}  // namespace tandem::balancer::admin
