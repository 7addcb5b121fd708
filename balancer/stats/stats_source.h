#pragma once
// What the stats page, the runtime API and the Prometheus exporter read and
// change: the runtime's counters and states as rows (stat_rows.h), process
// information, per-second rates, and the operator's actions on servers.
//
// Thread rule: rows() and the actions may be called from any thread (workers
// serving the stats page, the CLI thread). Counters are atomics; the rate
// book has its own lock, held only to copy or update a few numbers.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "balancer/runtime/runtime.h"
#include "balancer/stats/stat_rows.h"
#include "common/error.h"

namespace tandem::balancer::health {
class Checker;
}

namespace tandem::balancer::stick {
class StickRegistry;
}

namespace tandem::balancer::stats {

struct ProcessInfo {
  std::string name = "Tandem";
  std::string version;
  std::string node;
  std::string description;
  std::int64_t start_unix_s = 0;
  std::int64_t start_steady_ms = 0;
  unsigned threads = 1;
  int pid = 0;
  std::uint64_t ulimit_n = 0;
};

class StatsSource {
 public:
  StatsSource(runtime::Runtime& rt, const health::Checker* checker, ProcessInfo info);

  runtime::Runtime& runtime() const { return rt_; }
  const ProcessInfo& process() const { return info_; }

  // Every second, from one thread: turns counter totals into per-second rates.
  void sample_rates();
  // The rows (HAProxy's order). `now_steady_ms`/`now_unix_s` for ages.
  std::vector<StatRow> rows() const;
  // Client connections open now (the process's CurrConns).
  std::uint64_t current_connections() const;

  // Operator actions, as `set server`, `disable server` and the page's admin
  // form do them. Errors are HAProxy's words ("No such server.").
  enum class Action { ready, drain, maint };
  Result<void> set_state(std::string_view backend, std::string_view server, Action a, std::string_view who);
  Result<void> set_weight(std::string_view backend, std::string_view server, std::string_view weight);

  // Told after an operator changed a server's state (for the event stream).
  using ChangeListener = std::function<void(runtime::Server&, runtime::ServerState before, std::string_view who)>;
  void set_change_listener(ChangeListener l) { on_change_ = std::move(l); }

  // The stick tables (`show table` and friends); null when none is wired.
  stick::StickRegistry* sticks() const { return sticks_; }
  void set_sticks(stick::StickRegistry* r) { sticks_ = r; }

  static std::int64_t steady_ms();
  static std::int64_t unix_s();

 private:
  struct Rate {
    std::uint64_t last = 0;
    std::uint64_t cur = 0;
    std::uint64_t max = 0;
    bool primed = false;
  };
  // Rates by (object, what): sessions and requests.
  Rate rate_of(const void* obj, int what) const;
  void fill_server(StatRow& r, runtime::Server& s, const config::Proxy& be, std::uint32_t iid, std::int64_t now_ms,
                   std::int64_t now_s) const;

  runtime::Runtime& rt_;
  const health::Checker* checker_;
  ProcessInfo info_;
  mutable std::mutex rates_mutex_;
  std::unordered_map<const void*, std::array<Rate, 2>> rates_;
  ChangeListener on_change_;
  stick::StickRegistry* sticks_ = nullptr;
};

// The stats source of the configuration serving now. Holding the pointer
// keeps that configuration alive, so a reload cannot free it under a reader.
using StatsProvider = std::function<std::shared_ptr<StatsSource>()>;

// The id HAProxy shows for a proxy: its `id`, else its position (from 2, as
// HAProxy numbers user proxies after its internal one).
std::uint32_t proxy_id(const runtime::Runtime& rt, const config::Proxy& p);

}  // namespace tandem::balancer::stats
