#pragma once
// A server at run time: its identity from the configuration, and the state
// every worker reads and the control plane changes.

#include <asio/ip/tcp.hpp>
#include <atomic>
#include <cstdint>
#include <string>

#include "balancer/config/model.h"
#include "balancer/runtime/counters.h"

namespace tandem::balancer::runtime {

class Backend;

// What an operator asked a server to be (`set server B/S state ...`).
enum class AdminState : std::uint8_t { ready, drain, maint };

// What the server is now, as HAProxy shows it.
enum class ServerState : std::uint8_t { up, down, maint, drain, nolb };

std::string_view state_name(ServerState s);

class Server {
 public:
  Server(const config::Server& cfg, Backend& backend, unsigned workers);

  const std::string& name() const { return cfg_.name; }
  std::uint32_t id() const { return cfg_.id; }
  bool backup() const { return cfg_.params.backup; }
  const config::Server& config() const { return cfg_; }
  Backend& backend() const { return backend_; }
  // "backend/server", as logs name it.
  const std::string& display_name() const { return display_; }
  // Where to connect; a server written without a port takes the port the
  // client connected to (port 0 here).
  const asio::ip::tcp::endpoint& endpoint() const { return endpoint_; }
  bool uses_client_port() const { return cfg_.port == 0; }

  ServerState state() const;
  AdminState admin_state() const { return admin_.load(std::memory_order_relaxed); }
  bool health_up() const { return health_up_.load(std::memory_order_relaxed); }
  // Takes new traffic from the load balancer.
  bool usable() const { return state() == ServerState::up && weight() > 0; }

  // The weight used for balancing now: the configured or operator-set weight.
  std::uint32_t weight() const { return weight_.load(std::memory_order_relaxed); }
  std::uint32_t configured_weight() const { return cfg_.params.weight; }

  // Control plane (the backend rebuilds its balancing afterwards).
  void set_admin_state(AdminState s) { admin_.store(s, std::memory_order_relaxed); }
  void set_health(bool up) { health_up_.store(up, std::memory_order_relaxed); }
  void set_weight(std::uint32_t w) { weight_.store(w, std::memory_order_relaxed); }

  // Slots: connections (TCP) or requests in flight (HTTP) counted against maxconn.
  std::uint32_t maxconn() const { return cfg_.params.maxconn; }
  std::uint32_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  bool has_free_slot() const { return maxconn() == 0 || in_flight() < maxconn(); }

  Counters& counters() { return counters_; }
  SessionGauge& sessions() { return sessions_; }

 private:
  friend class Backend;  // takes and frees slots under its lock
  config::Server cfg_;
  Backend& backend_;
  std::string display_;
  asio::ip::tcp::endpoint endpoint_;
  std::atomic<AdminState> admin_;
  std::atomic<bool> health_up_{true};
  std::atomic<std::uint32_t> weight_;
  std::atomic<std::uint32_t> in_flight_{0};
  Counters counters_;
  SessionGauge sessions_;
};

}  // namespace tandem::balancer::runtime
