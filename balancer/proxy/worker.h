#pragma once
// A worker: one thread, one io_context, and everything a connection needs
// that must not be shared between threads: I/O buffers, deadlines, idle
// server connections. A connection lives wholly on the worker that accepted
// it, so none of these take locks.

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <random>
#include <memory>
#include <optional>
#include <thread>

#include "balancer/net/buffer_pool.h"
#include "balancer/net/deadlines.h"
#include "balancer/proxy/conn_pool.h"
#include "balancer/proxy/http_exchange.h"
#include "balancer/proxy/session_registry.h"

namespace tandem::balancer::proxy {

class Worker {
 public:
  Worker(unsigned index, std::size_t bufsize);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();

  unsigned index() const { return index_; }
  asio::io_context& io() { return *io_; }
  net::BufferPool& buffers() { return buffers_; }
  ConnPool& pool() { return pool_; }
  ExchangePool& exchanges() { return exchanges_; }
  std::mt19937& rng() { return rng_; }
  // The client connections this worker serves (for hard-stop-after).
  SessionRegistry& sessions() { return sessions_; }

  // Arms a deadline `duration` from now and makes sure the tick runs.
  void arm(net::Deadline& d, std::chrono::milliseconds duration);
  static net::SteadyTime now() { return std::chrono::steady_clock::now(); }

  // Runs the io_context on a new thread until stop().
  void start();
  void stop();
  void join();

 private:
  void schedule_tick();

  unsigned index_;
  // Destroyed first (see ~Worker): sessions still pending in the io_context
  // give buffers, exchanges and deadlines back to the pools below.
  net::BufferPool buffers_;
  net::DeadlineLists deadlines_;
  ExchangePool exchanges_;
  std::unique_ptr<asio::io_context> io_;
  ConnPool pool_;
  std::optional<asio::steady_timer> ticker_;
  bool ticking_ = false;
  net::SteadyTime last_trim_{};
  std::mt19937 rng_;
  SessionRegistry sessions_;
  std::thread thread_;
};

}  // namespace tandem::balancer::proxy
