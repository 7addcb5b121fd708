#pragma once
// Everything the workers serve from, built from one validated configuration:
// frontends, backends and servers. Immutable in shape once built (servers'
// state flags change, the lists do not); a reload builds a new one.

#include <atomic>
#include <memory>
#include <string_view>
#include <vector>

#include "balancer/config/model.h"
#include "balancer/runtime/backend.h"
#include "balancer/rules/userlist.h"
#include "balancer/runtime/frontend.h"
#include "balancer/stick/stick_registry.h"
#include "common/error.h"

namespace tandem::balancer::stats {
class StatsSource;
}

namespace tandem::balancer::runtime {

class Runtime {
 public:
  // Stick tables are installed in `sticks` (the process's registry, which
  // outlives reloads and keeps a table whose definition did not change; `-c`
  // passes a throw-away one).
  static Result<std::unique_ptr<Runtime>> build(const config::Config& cfg, unsigned workers,
                                                stick::StickRegistry& sticks);

  const config::Config& config() const { return cfg_; }
  const config::Global& global() const { return cfg_.global; }
  const std::vector<std::unique_ptr<Frontend>>& frontends() const { return frontends_; }
  const std::vector<std::unique_ptr<Backend>>& backends() const { return backends_; }
  Backend* find_backend(std::string_view name) const;
  Frontend* find_frontend(std::string_view name) const;
  unsigned workers() const { return workers_; }
  // The global maxconn in effect (configured, or derived from the file limit).
  std::uint32_t maxconn() const { return maxconn_; }

  SessionGauge& sessions() { return sessions_; }
  // A reload replaced this runtime: it serves only the connections it has,
  // and closes each after its current response (workers read this on every
  // request; the control thread sets it once).
  bool retired() const { return retired_.load(std::memory_order_relaxed); }
  void retire() {
    retired_.store(true, std::memory_order_relaxed);
    take_down_peers();
  }
  ~Runtime() { take_down_peers(); }
  // Warnings found while compiling rules ("FILE:LINE: ..."), for the log.
  const std::vector<std::string>& warnings() const { return warnings_; }
  const rules::Userlist* find_userlist(std::string_view name) const;
  // What the stats page and services read (set once before workers start;
  // null when the process has none, e.g. in unit tests).
  stats::StatsSource* stats() const { return stats_; }
  void set_stats(stats::StatsSource* s) { stats_ = s; }
  // The stick table declared by proxy `name`, or nullptr.
  stick::StickTable* find_table(std::string_view name) const;
  // Whether any proxy declares a stick table: without one, nothing on the
  // request path reads the stick clock.
  bool has_stick_tables() const { return !tables_.empty(); }
  std::vector<std::string> table_names() const;

 private:
  Runtime(const config::Config& cfg, unsigned workers) : cfg_(cfg), workers_(workers) {}
  void take_down_peers() {
    if (peers_board_) peers_board_->take_down(peers_post_);
    peers_board_.reset();
  }

  config::Config cfg_;
  unsigned workers_;
  std::uint32_t maxconn_ = 0;
  std::vector<std::unique_ptr<Backend>> backends_;
  std::vector<std::unique_ptr<Frontend>> frontends_;
  std::vector<std::unique_ptr<rules::Userlist>> userlists_;
  std::vector<std::string> warnings_;
  // Kept alive while this runtime's sessions may hold references into them.
  std::vector<std::shared_ptr<stick::StickTable>> tables_;
  SessionGauge sessions_;
  std::atomic<bool> retired_{false};
  stats::StatsSource* stats_ = nullptr;
  // This configuration's `peers` sections, posted while it serves (peers_board.h).
  std::shared_ptr<stick::PeersBoard> peers_board_;
  std::uint64_t peers_post_ = 0;
};

}  // namespace tandem::balancer::runtime
