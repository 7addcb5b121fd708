#include "balancer/runtime/backend.h"

#include <asio/ip/address.hpp>

#include "common/strings.h"

namespace tandem::balancer::runtime {

std::string_view state_name(ServerState s) {
  switch (s) {
    case ServerState::up: return "UP";
    case ServerState::down: return "DOWN";
    case ServerState::maint: return "MAINT";
    case ServerState::drain: return "DRAIN";
    case ServerState::nolb: return "NOLB";
  }
  return "?";
}

Server::Server(const config::Server& cfg, Backend& backend, unsigned workers)
    : cfg_(cfg),
      backend_(backend),
      display_(cat(backend.name(), '/', cfg.name)),
      endpoint_(asio::ip::make_address(cfg.address), cfg.port),
      admin_(cfg.params.disabled ? AdminState::maint : AdminState::ready),
      weight_(cfg.params.weight),
      counters_(workers) {}

ServerState Server::state() const {
  AdminState a = admin_state();
  if (a == AdminState::maint) return ServerState::maint;
  if (!health_up()) return ServerState::down;
  if (a == AdminState::drain) return ServerState::drain;
  if (nolb_.load(std::memory_order_relaxed)) return ServerState::nolb;
  return ServerState::up;
}

Backend::Backend(const config::Proxy& cfg, unsigned workers)
    : cfg_(cfg),
      active_lb_(lb::make_algorithm(cfg.balance)),
      backup_lb_(lb::make_algorithm(cfg.balance)),
      xff_except_(cfg.forwardfor.except.empty() ? std::nullopt : net::Cidr::parse(cfg.forwardfor.except)),
      counters_(workers) {
  for (const config::Server& s : cfg.servers) {
    servers_.push_back(std::make_unique<Server>(s, *this, workers));
    (s.params.backup ? backups_ : active_).push_back(servers_.back().get());
  }
  server_queues_.resize(servers_.size());
  server_queue_grants_.resize(servers_.size());
  rebuild();
}

Server* Backend::find_server(std::string_view name) const {
  for (const auto& s : servers_)
    if (s->name() == name) return s.get();
  return nullptr;
}

void Backend::rebuild() {
  std::lock_guard lock(mutex_);
  rebuild_locked();
  grant_waiters_locked();
}

void Backend::rebuild_locked() {
  std::vector<lb::Member> members;
  bool any_active = false;
  for (Server* s : active_) {
    std::uint32_t w = s->usable() ? s->weight() : 0;
    any_active |= w > 0;
    members.push_back({s->id(), w});
  }
  active_lb_->rebuild(members);
  members.clear();
  bool first_taken = false;
  for (Server* s : backups_) {
    // Without `option allbackups`, only the first usable backup serves.
    std::uint32_t w = s->usable() && (cfg_.allbackups || !first_taken) ? s->weight() : 0;
    first_taken |= w > 0;
    members.push_back({s->id(), w});
  }
  backup_lb_->rebuild(members);
  use_backups_ = !any_active;
}

std::optional<size_t> Backend::pick_locked(const PickInput& in, bool& any_usable) {
  const std::vector<Server*>& set = use_backups_ ? backups_ : active_;
  lb::Algorithm& algo = use_backups_ ? *backup_lb_ : *active_lb_;
  excluded_.assign(set.size(), false);
  load_.assign(set.size(), 0);
  any_usable = false;
  bool any_free = false;
  for (size_t i = 0; i < set.size(); ++i) {
    Server* s = set[i];
    if (!s->usable()) continue;
    any_usable = true;
    load_[i] = s->in_flight();
    bool full = !s->has_free_slot();
    excluded_[i] = full || s == in.avoid;
    any_free |= !excluded_[i];
  }
  if (!any_free && in.avoid) {
    // Redispatch found nothing else: the previous server may still do.
    for (size_t i = 0; i < set.size(); ++i)
      if (set[i] == in.avoid && set[i]->usable() && set[i]->has_free_slot()) excluded_[i] = false, any_free = true;
  }
  if (!any_free) return std::nullopt;
  lb::PickRequest req{in.hash, &excluded_, &load_, &rng_};
  int i = algo.pick(req);
  if (i < 0) return std::nullopt;
  return static_cast<size_t>(i);
}

Backend::Pick Backend::acquire(const PickInput& in, const std::shared_ptr<QueueTicket>& ticket) {
  std::lock_guard lock(mutex_);
  bool any_usable = false;
  auto i = pick_locked(in, any_usable);
  if (i) {
    Server* s = (use_backups_ ? backups_ : active_)[*i];
    s->take_slot();
    return {Outcome::granted, s};
  }
  if (!any_usable) return {Outcome::no_server, nullptr};
  if (!ticket) return {Outcome::queue_full, nullptr};
  ticket->arrival_mark = queue_grants_;
  queue_.push_back(ticket);
  return {Outcome::queued, nullptr};
}

Backend::Pick Backend::acquire_on(Server& server, const std::shared_ptr<QueueTicket>& ticket) {
  std::lock_guard lock(mutex_);
  if (server.has_free_slot()) {
    server.take_slot();
    return {Outcome::granted, &server};
  }
  size_t idx = 0;
  while (servers_[idx].get() != &server) ++idx;
  std::uint32_t maxqueue = server.config().params.maxqueue;
  if (!ticket || (maxqueue && server_queues_[idx].size() >= maxqueue)) return {Outcome::queue_full, nullptr};
  ticket->server_queue = static_cast<std::int32_t>(idx);
  ticket->arrival_mark = server_queue_grants_[idx];
  server_queues_[idx].push_back(ticket);
  return {Outcome::queued, nullptr};
}

void Backend::release(Server& server) {
  std::lock_guard lock(mutex_);
  server.in_flight_.fetch_sub(1, std::memory_order_relaxed);
  grant_waiters_locked();
}

void Backend::grant_waiters_locked() {
  // Requests bound to one server first (they cannot go elsewhere), then the
  // backend's queue in arrival order.
  for (size_t idx = 0; idx < servers_.size(); ++idx) {
    Server& s = *servers_[idx];
    auto& q = server_queues_[idx];
    while (!q.empty() && s.has_free_slot()) {
      auto t = q.front();
      q.pop_front();
      if (t->abandoned) continue;
      s.take_slot();
      t->position = static_cast<std::uint32_t>(++server_queue_grants_[idx] - t->arrival_mark);
      t->granted = &s;
      t->wake(t);
    }
  }
  while (!queue_.empty()) {
    if (queue_.front()->abandoned) {
      queue_.pop_front();
      continue;
    }
    bool any_usable = false;
    auto i = pick_locked(PickInput{}, any_usable);
    if (!i) break;
    Server* s = (use_backups_ ? backups_ : active_)[*i];
    auto t = queue_.front();
    queue_.pop_front();
    s->take_slot();
    t->position = static_cast<std::uint32_t>(++queue_grants_ - t->arrival_mark);
    t->granted = s;
    t->wake(t);
  }
}

Server* Backend::abandon(const std::shared_ptr<QueueTicket>& ticket) {
  std::lock_guard lock(mutex_);
  if (ticket->granted) return ticket->granted;
  ticket->abandoned = true;
  std::uint64_t grants =
      ticket->server_queue >= 0 ? server_queue_grants_[static_cast<size_t>(ticket->server_queue)] : queue_grants_;
  ticket->position = static_cast<std::uint32_t>(grants - ticket->arrival_mark + 1);
  return nullptr;
}

std::uint32_t Backend::usable_active() const {
  std::uint32_t n = 0;
  for (const Server* s : active_) n += s->usable();
  return n;
}

std::uint32_t Backend::usable_backup() const {
  std::uint32_t n = 0;
  for (const Server* s : backups_) n += s->usable();
  return n;
}

std::size_t Backend::queued() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& t : queue_) n += !t->abandoned;
  for (const auto& q : server_queues_)
    for (const auto& t : q) n += !t->abandoned;
  return n;
}

}  // namespace tandem::balancer::runtime
