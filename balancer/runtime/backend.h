#pragma once
// A backend at run time: its servers, the balancing algorithm over them, and
// the queue of requests waiting for a server slot (maxconn).
//
// Lock rule: `mutex_` guards the algorithms, the queue and slot hand-over. It
// is held for a pick or a release, never across I/O. Server state flags are
// atomics read without it; after changing them, call rebuild().

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "balancer/config/model.h"
#include "balancer/rules/rule_set.h"
#include "balancer/lb/algorithm.h"
#include "balancer/net/cidr.h"
#include "balancer/runtime/counters.h"
#include "balancer/runtime/server.h"

namespace tandem::balancer::runtime {

// A request waiting in the backend's queue. The backend grants it a slot by
// setting `granted` and calling wake() with the ticket itself, under its
// lock: wake() must only post a wake-up to the waiter's thread (keeping the
// ticket alive until it runs), never run the waiter.
struct QueueTicket {
  virtual ~QueueTicket() = default;
  virtual void wake(std::shared_ptr<QueueTicket> self) = 0;
  Server* granted = nullptr;  // guarded by the backend's mutex
  bool abandoned = false;     // the waiter gave up (timeout queue); guarded too
  // Where it stood in its queue, for the log's %sq/%bq (HAProxy's reading):
  // 1 + how many waiters of the same queue were granted a slot between its
  // arrival and its leaving the queue. Set when it leaves; guarded too.
  std::int32_t server_queue = -1;  // waits on servers()[i]'s own queue; -1: the backend's
  std::uint64_t arrival_mark = 0;  // the queue's grant count when it arrived
  std::uint32_t position = 0;
};

class Backend {
 public:
  Backend(const config::Proxy& cfg, unsigned workers);
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  const std::string& name() const { return cfg_.name; }
  const config::Proxy& config() const { return cfg_; }
  config::Mode mode() const { return cfg_.mode; }
  const std::vector<std::unique_ptr<Server>>& servers() const { return servers_; }
  Server* find_server(std::string_view name) const;

  struct PickInput {
    std::optional<std::uint32_t> hash;  // for hash algorithms
    const Server* avoid = nullptr;      // a retry's previous server, when redispatching
  };

  enum class Outcome { granted, queued, no_server, queue_full };
  struct Pick {
    Outcome outcome = Outcome::no_server;
    Server* server = nullptr;  // granted: a slot is taken on it
  };

  // Picks a server with a free slot and takes the slot. When every usable
  // server is full, queues `ticket` (if given) and returns queued.
  Pick acquire(const PickInput& in, const std::shared_ptr<QueueTicket>& ticket);

  // Takes a slot on `server` itself (persistence, retries on the same server);
  // queues on it when full.
  Pick acquire_on(Server& server, const std::shared_ptr<QueueTicket>& ticket);

  // Frees a slot; hands it to the oldest waiter that server can serve.
  void release(Server& server);

  // A waiter gives up. Returns the server if a slot was granted meanwhile
  // (the caller then owns the slot and must use or release it).
  Server* abandon(const std::shared_ptr<QueueTicket>& ticket);

  // Recomputes balancing after server state or weight changes, and grants
  // slots to waiters if servers became usable.
  void rebuild();

  std::uint32_t usable_active() const;
  std::uint32_t usable_backup() const;
  std::size_t queued() const;

  Counters& counters() { return counters_; }
  SessionGauge& sessions() { return sessions_; }
  // The proxy's compiled rules (never null once the runtime is built).
  const rules::RuleSet& rules() const { return *rules_; }
  const std::shared_ptr<const rules::RuleSet>& rules_ptr() const { return rules_; }
  void set_rules(std::shared_ptr<const rules::RuleSet> r) { rules_ = std::move(r); }
  // `option forwardfor except NET`, parsed once.
  const std::optional<net::Cidr>& xff_except() const { return xff_except_; }
  // How stick rule `rule`'s table names server `server` (both indexes:
  // stick_rules() order, servers() order). Set once when the runtime is built.
  std::uint32_t stick_ref(std::size_t rule, std::size_t server) const { return stick_refs_[rule][server]; }
  void set_stick_refs(std::vector<std::vector<std::uint32_t>> refs) { stick_refs_ = std::move(refs); }

 private:
  void rebuild_locked();
  std::optional<size_t> pick_locked(const PickInput& in, bool& any_usable);
  void grant_waiters_locked();

  config::Proxy cfg_;
  std::vector<std::unique_ptr<Server>> servers_;
  std::vector<Server*> active_;
  std::vector<Server*> backups_;

  mutable std::mutex mutex_;
  std::unique_ptr<lb::Algorithm> active_lb_;
  std::unique_ptr<lb::Algorithm> backup_lb_;
  bool use_backups_ = false;  // no active server usable at the last rebuild
  std::vector<bool> excluded_;
  std::vector<std::uint32_t> load_;
  std::mt19937 rng_{0x7a4d3e};
  std::deque<std::shared_ptr<QueueTicket>> queue_;
  // Per-server queues for requests bound to one server.
  std::vector<std::deque<std::shared_ptr<QueueTicket>>> server_queues_;
  // Waiters granted a slot from each queue so far (QueueTicket::position).
  std::uint64_t queue_grants_ = 0;
  std::vector<std::uint64_t> server_queue_grants_;

  std::optional<net::Cidr> xff_except_;
  std::shared_ptr<const rules::RuleSet> rules_;
  std::vector<std::vector<std::uint32_t>> stick_refs_;
  Counters counters_;
  SessionGauge sessions_;
};

}  // namespace tandem::balancer::runtime
