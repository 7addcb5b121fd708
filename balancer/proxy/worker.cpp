#include "balancer/proxy/worker.h"

#include <asio/executor_work_guard.hpp>

namespace tandem::balancer::proxy {

namespace {
// Timeout resolution. Deadlines are checked this often while any is armed;
// HAProxy's timeouts are in milliseconds, but nothing in its users' configs
// depends on better than a few of them.
constexpr std::chrono::milliseconds kTick{5};
// Free buffers kept per worker beyond those in use, and how often the
// surplus (free buffers nobody needed for a whole period) is unmapped.
constexpr std::size_t kFreeBuffers = 64;
constexpr std::chrono::seconds kTrimEvery{1};
}  // namespace

Worker::Worker(unsigned index, std::size_t bufsize)
    : index_(index),
      buffers_(bufsize, kFreeBuffers),
      io_(std::make_unique<asio::io_context>(1)),
      ticker_(std::in_place, *io_),
      rng_(0x5eed + index) {}

Worker::~Worker() {
  stop();
  join();
  // Everything bound to the io_context goes before it; then the io_context,
  // whose pending handlers (sessions) return memory to pools that still live.
  ticker_.reset();
  pool_.clear();
  io_.reset();
}

void Worker::arm(net::Deadline& d, std::chrono::milliseconds duration) {
  deadlines_.arm(d, duration, now());
  if (!ticking_) schedule_tick();
}

void Worker::schedule_tick() {
  ticking_ = true;
  ticker_->expires_after(kTick);
  ticker_->async_wait([this](const asio::error_code& ec) {
    if (ec) {
      ticking_ = false;
      return;
    }
    auto t = now();
    deadlines_.expire(t);
    pool_.purge(t);
    if (t - last_trim_ >= kTrimEvery) {
      last_trim_ = t;
      buffers_.trim();
    }
    if (deadlines_.empty() && pool_.size() == 0 && !buffers_.has_surplus()) {
      ticking_ = false;
      return;
    }
    schedule_tick();
  });
}

void Worker::start() {
  thread_ = std::thread([this] {
    auto guard = asio::make_work_guard(*io_);
    // run(), not a run_one() loop: each run_one() builds and destroys asio's
    // per-thread state, whose cache recycles handler memory and coroutine
    // frames; without it every frame of every request goes to malloc.
    io_->run();
  });
}

void Worker::stop() { io_->stop(); }

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace tandem::balancer::proxy
