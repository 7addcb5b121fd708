#pragma once
// A server at run time: its identity from the configuration, and the state
// every worker reads and the control plane changes.

#include <asio/ip/tcp.hpp>
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>

#include "balancer/config/model.h"
#include "balancer/runtime/counters.h"
#include "balancer/tls/tls_context.h"

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
  // TLS towards the server (`ssl` or `check-ssl`); null for plain TCP.
  const tls::ServerContext* tls() const { return tls_.get(); }
  bool ssl() const { return cfg_.params.tls.enabled && tls_; }
  bool check_ssl() const { return (cfg_.params.tls.enabled || cfg_.params.tls.check_ssl) && tls_; }
  void set_tls(std::unique_ptr<tls::ServerContext> t) { tls_ = std::move(t); }

  ServerState state() const;
  AdminState admin_state() const { return admin_.load(std::memory_order_relaxed); }
  bool health_up() const { return health_up_.load(std::memory_order_relaxed); }
  // Takes new traffic from the load balancer.
  bool usable() const { return state() == ServerState::up && weight() > 0; }

  // The weight used for balancing now: the configured or operator-set weight,
  // scaled down while `slowstart` ramps a server that just came up.
  std::uint32_t weight() const {
    std::uint32_t w = weight_.load(std::memory_order_relaxed);
    std::uint32_t ramp = ramp_weight_.load(std::memory_order_relaxed);
    return ramp ? std::min(w, ramp) : w;
  }
  // The weight the operator or the configuration set.
  std::uint32_t user_weight() const { return weight_.load(std::memory_order_relaxed); }
  std::uint32_t configured_weight() const { return cfg_.params.weight; }

  // Control plane (the backend rebuilds its balancing afterwards).
  void set_admin_state(AdminState s) { admin_.store(s, std::memory_order_relaxed); }
  void set_health(bool up) { health_up_.store(up, std::memory_order_relaxed); }
  void set_nolb(bool nolb) { nolb_.store(nolb, std::memory_order_relaxed); }
  // Slowstart's current weight cap; 0: none.
  void set_ramp_weight(std::uint32_t w) { ramp_weight_.store(w, std::memory_order_relaxed); }
  bool starting() const { return ramp_weight_.load(std::memory_order_relaxed) != 0; }

  // `observe layer4|layer7`: the data path reports each connection or
  // response. `error_limit` errors in a row call the sink (set by the health
  // checker, thread-safe), which applies `on-error`.
  using ErrorLimitSink = void (*)(void* ctx, Server& s);
  void set_error_limit_sink(ErrorLimitSink sink, void* ctx) {
    sink_ = sink;
    sink_ctx_ = ctx;
  }
  bool observes_layer4() const { return cfg_.params.observe == "layer4" || cfg_.params.observe == "layer7"; }
  bool observes_layer7() const { return cfg_.params.observe == "layer7"; }
  void observe(bool error) {
    if (!error) {
      if (consecutive_errors_.load(std::memory_order_relaxed)) consecutive_errors_.store(0, std::memory_order_relaxed);
      return;
    }
    if (consecutive_errors_.fetch_add(1, std::memory_order_relaxed) + 1 >= cfg_.params.error_limit) {
      consecutive_errors_.store(0, std::memory_order_relaxed);
      if (sink_) sink_(sink_ctx_, *this);
    }
  }
  void set_weight(std::uint32_t w) { weight_.store(w, std::memory_order_relaxed); }

  // Slots: connections (TCP) or requests in flight (HTTP) counted against maxconn.
  std::uint32_t maxconn() const { return cfg_.params.maxconn; }
  std::uint32_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  bool has_free_slot() const { return maxconn() == 0 || in_flight() < maxconn(); }
  // The most slots ever held at once (the stats page's "max sessions").
  std::uint32_t in_flight_max() const { return in_flight_max_.load(std::memory_order_relaxed); }

  Counters& counters() { return counters_; }
  SessionGauge& sessions() { return sessions_; }

  // State history for the admin API and stats: call after any change of
  // state(). Times are milliseconds (wall clock for the change, steady for
  // downtime accounting).
  void note_state(std::int64_t wall_ms, std::int64_t steady_ms) {
    bool down = state() == ServerState::down || state() == ServerState::maint;
    bool was_down = down_since_ms_.load(std::memory_order_relaxed) >= 0;
    if (down == was_down) return;
    last_change_ms_.store(wall_ms, std::memory_order_relaxed);
    if (down) {
      down_since_ms_.store(steady_ms, std::memory_order_relaxed);
    } else {
      downtime_ms_.fetch_add(steady_ms - down_since_ms_.load(std::memory_order_relaxed), std::memory_order_relaxed);
      down_since_ms_.store(-1, std::memory_order_relaxed);
    }
  }
  std::int64_t last_change_unix_ms() const { return last_change_ms_.load(std::memory_order_relaxed); }
  std::int64_t downtime_ms(std::int64_t steady_now_ms) const {
    std::int64_t since = down_since_ms_.load(std::memory_order_relaxed);
    return downtime_ms_.load(std::memory_order_relaxed) + (since >= 0 ? steady_now_ms - since : 0);
  }

 private:
  friend class Backend;  // takes and frees slots under its lock
  void take_slot() {  // under the backend's lock: the max needs no CAS loop
    std::uint32_t n = in_flight_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n > in_flight_max_.load(std::memory_order_relaxed)) in_flight_max_.store(n, std::memory_order_relaxed);
  }
  config::Server cfg_;
  Backend& backend_;
  std::string display_;
  asio::ip::tcp::endpoint endpoint_;
  std::unique_ptr<tls::ServerContext> tls_;
  std::atomic<AdminState> admin_;
  std::atomic<bool> health_up_{true};
  std::atomic<bool> nolb_{false};
  std::atomic<std::uint32_t> ramp_weight_{0};
  std::atomic<std::uint32_t> consecutive_errors_{0};
  std::atomic<std::int64_t> last_change_ms_{0};
  std::atomic<std::int64_t> down_since_ms_{-1};
  std::atomic<std::int64_t> downtime_ms_{0};
  ErrorLimitSink sink_ = nullptr;
  void* sink_ctx_ = nullptr;
  std::atomic<std::uint32_t> weight_;
  std::atomic<std::uint32_t> in_flight_{0};
  std::atomic<std::uint32_t> in_flight_max_{0};
  Counters counters_;
  SessionGauge sessions_;
};

}  // namespace tandem::balancer::runtime
