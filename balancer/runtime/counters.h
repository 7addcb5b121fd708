#pragma once
// Traffic counters written by workers without contention: each worker adds to
// its own cache line with relaxed atomics; readers (stats, admin) sum the
// lines. Counts may be a few operations stale when read; they never tear.

#include <atomic>
#include <cstdint>
#include <memory>

namespace tandem::balancer::runtime {

enum class Ctr : unsigned {
  sessions_total,
  bytes_in,
  bytes_out,
  denied_requests,
  request_errors,
  connection_errors,
  response_errors,
  retries,
  redispatches,
  http_requests,
  http_1xx,
  http_2xx,
  http_3xx,
  http_4xx,
  http_5xx,
  http_other,
  failed_checks,
  down_transitions,
  tls_handshake_errors,  // a frontend's refused or failed TLS handshakes
  denied_responses,  // responses withheld by http-response deny (dresp)
  client_aborts,  // a backend's or server's transfers the client ended (cli_abrt)
  server_aborts,  // ... the server ended, closing or silent past its timeout (srv_abrt)
  denied_connections,  // a frontend's connections refused by tcp-request connection rules (dcon)
  intercepted,  // a frontend's requests answered by the proxy itself (return, redirect, auth, monitor-uri, stats, services)
  count_  // number of counters
};

class Counters {
 public:
  explicit Counters(unsigned workers) : workers_(workers), lines_(new Line[workers]) {}

  void add(unsigned worker, Ctr c, std::uint64_t n = 1) {
    lines_[worker].v[static_cast<unsigned>(c)].fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t sum(Ctr c) const {
    std::uint64_t s = 0;
    for (unsigned w = 0; w < workers_; ++w) s += lines_[w].v[static_cast<unsigned>(c)].load(std::memory_order_relaxed);
    return s;
  }
  void add_status(unsigned worker, int status) {
    Ctr c = status < 200 ? Ctr::http_1xx : status < 300 ? Ctr::http_2xx : status < 400 ? Ctr::http_3xx
            : status < 500 ? Ctr::http_4xx : status < 600 ? Ctr::http_5xx : Ctr::http_other;
    add(worker, c);
  }

 private:
  struct alignas(64) Line {
    std::atomic<std::uint64_t> v[static_cast<unsigned>(Ctr::count_)] = {};
  };
  unsigned workers_;
  std::unique_ptr<Line[]> lines_;
};

// Sessions open now and the most ever open, shared by all workers.
class SessionGauge {
 public:
  // Takes a session if fewer than `limit` are open (0: no limit).
  bool try_enter(std::uint64_t limit) {
    std::uint64_t cur = current_.load(std::memory_order_relaxed);
    do {
      if (limit && cur >= limit) return false;
    } while (!current_.compare_exchange_weak(cur, cur + 1, std::memory_order_relaxed));
    std::uint64_t m = max_.load(std::memory_order_relaxed);
    while (cur + 1 > m && !max_.compare_exchange_weak(m, cur + 1, std::memory_order_relaxed)) {
    }
    return true;
  }
  void enter() { (void)try_enter(0); }
  void leave() { current_.fetch_sub(1, std::memory_order_relaxed); }
  // One session for as long as it lives.
  class Held {
   public:
    explicit Held(SessionGauge& g) : g_(g) { g_.enter(); }
    ~Held() { g_.leave(); }
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;

   private:
    SessionGauge& g_;
  };
  std::uint64_t current() const { return current_.load(std::memory_order_relaxed); }
  std::uint64_t max() const { return max_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> current_{0};
  std::atomic<std::uint64_t> max_{0};
};

}  // namespace tandem::balancer::runtime
