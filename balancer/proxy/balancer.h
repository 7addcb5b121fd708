#pragma once
// The data plane: workers, their listeners, and the generation of the
// configuration they serve.
//
// Lifecycle: create() builds the first generation; bind() opens every
// listener (as root, before privileges are dropped); start() runs the
// workers; reload() swaps in a new configuration; stop() closes the
// listeners and ends the workers.
//
// Threads: create/bind/start/reload/maintain/stop run on the control thread.
// current() may be called from any thread. A listener's accept loop reads
// its target (runtime, frontend, TLS context) on its worker's thread only;
// a reload changes it by posting to that worker.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "balancer/config/model.h"
#include "balancer/health/checker.h"
#include "balancer/net/socket_transfer.h"
#include "balancer/proxy/generation.h"
#include "balancer/proxy/worker.h"
#include "balancer/runtime/runtime.h"
#include "common/error.h"

namespace tandem::balancer::proxy {

class Balancer {
 public:
  // Completes a generation before it serves: the stats source, event
  // listeners, traffic logs (main.cpp). An error abandons the generation.
  using Wire = std::function<Result<void>(Generation&)>;

  static Result<std::unique_ptr<Balancer>> create(const config::Config& cfg, unsigned threads,
                                                 stick::StickRegistry& sticks, Wire wire);
  ~Balancer();

  // A binary upgrade: sockets received from the old process (-x), used by
  // bind() for the listeners of the same identity instead of new ones.
  // Before bind(); those left over are closed.
  void adopt(std::vector<net::PassedSocket> sockets);
  Result<void> bind();
  void start();
  void stop();

  // Every listening socket, with its identity, for `_getsocks` (any thread).
  std::vector<net::PassedSocket> listening_sockets() const;

  // SIGUSR1 (HAProxy's soft stop, the old process of a binary upgrade):
  // stop accepting, close each connection after its current response, and
  // finish; `hard-stop-after` bounds it. finished() says when to exit.
  void soft_stop();
  bool finished() const;

  // What a reload did, for the log and the caller.
  struct ReloadReport {
    std::uint64_t generation = 0;
    std::size_t listeners_kept = 0, listeners_opened = 0, listeners_closed = 0;
    std::size_t servers_matched = 0, admin_states_kept = 0, weights_kept = 0, health_kept = 0;
    std::vector<std::string> warnings;  // settings that need a restart, rule warnings
  };
  // Builds `cfg` (already parsed and checked) beside the running generation
  // and swaps: kept listeners change target without closing, new ones open,
  // removed ones stop accepting; server states and stick tables carry over.
  // On error nothing changed and the running configuration stays.
  Result<ReloadReport> reload(const config::Config& cfg);

  // Control-thread upkeep (call every ~100 ms): destroys old generations
  // whose connections are all gone, and hard-stops those past
  // `hard-stop-after`.
  void maintain();
  // Old generations still finishing connections.
  std::size_t retiring() const { return retired_.size(); }

  // The generation serving new connections. Holding the pointer keeps it
  // alive (it is never destroyed while a caller uses it).
  std::shared_ptr<Generation> current() const;
  unsigned threads() const { return static_cast<unsigned>(workers_.size()); }
  std::size_t listeners() const { return listeners_.size(); }

 private:
  Balancer() = default;
  struct Listener;
  struct Retired;
  Result<std::shared_ptr<Generation>> build(const config::Config& cfg);
  std::vector<std::unique_ptr<Listener>> plan_listeners(Generation& g);
  Result<void> open(Listener& l);

  stick::StickRegistry* sticks_ = nullptr;
  Wire wire_;
  std::uint64_t generations_ = 0;
  mutable std::mutex current_mutex_;
  std::shared_ptr<Generation> current_;
  std::vector<std::unique_ptr<Worker>> workers_;
  mutable std::mutex listeners_mutex_;  // listeners_ and their fds, for listening_sockets()
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<Retired>> retired_;
  std::vector<net::PassedSocket> adopted_;
  bool started_ = false;
  bool stopping_ = false;
  std::optional<std::chrono::steady_clock::time_point> stop_deadline_;
  bool stop_hard_ = false;
  std::shared_ptr<std::atomic<std::size_t>> unclosed_;  // soft stop: acceptor closes not yet run
};

}  // namespace tandem::balancer::proxy
