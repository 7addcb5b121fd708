#pragma once
// The two ways track_balancer learns about the local balancer, as interfaces
// with fakes beside them:
//  - HealthWatch: a grpc.health.v1 Watch stream on the balancer's admin
//    socket (the implementation is in health_watch_grpc.*: it needs gRPC);
//  - Prober: a TCP connection through a data-plane listener (tcp_prober.*).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/net_address.h"
#include "vrrpd/config/model.h"

namespace tandem::vrrpd::track {

enum class WatchStatus { serving, not_serving, broken };

class HealthWatch {
 public:
  // Called on the control io_context for every status and every break. The
  // watch reconnects by itself after a break.
  using Listener = std::function<void(WatchStatus, const std::string& detail)>;
  virtual ~HealthWatch() = default;
  virtual void start(Listener listener) = 0;
  virtual void stop() = 0;
};

// Makes a watch on a socket; the daemon gets one from main().
using HealthWatchFactory =
    std::function<std::unique_ptr<HealthWatch>(const std::string& socket, config::Micros first_answer_timeout)>;

class Prober {
 public:
  using Done = std::function<void(bool ok, const std::string& detail)>;
  virtual ~Prober() = default;
  // Connects to `target`, sends `send` if not empty and then needs at least one
  // byte back; all within `timeout`. `done` runs on the io_context.
  virtual void probe(const HostPort& target, const std::string& send, config::Micros timeout, Done done) = 0;
};

class FakeHealthWatch final : public HealthWatch {
 public:
  void start(Listener l) override {
    listener = std::move(l);
    started = true;
  }
  void stop() override { started = false; }
  void tell(WatchStatus s, const std::string& detail = "") {
    if (listener) listener(s, detail);
  }
  Listener listener;
  bool started = false;
};

class FakeProber final : public Prober {
 public:
  void probe(const HostPort& target, const std::string& send, config::Micros, Done done) override {
    pending.push_back({target, send, std::move(done)});
  }
  void complete(bool ok, const std::string& detail = "") {
    if (pending.empty()) return;
    auto p = std::move(pending.front());
    pending.erase(pending.begin());
    p.done(ok, detail);
  }
  struct Pending {
    HostPort target;
    std::string send;
    Done done;
  };
  std::vector<Pending> pending;
};

}  // namespace tandem::vrrpd::track
