#pragma once
// The data plane: workers, their listeners, and the runtime they serve.
//
// Lifecycle: create() builds the runtime; bind() opens every listener (as
// root, before privileges are dropped); start() runs the workers; stop()
// closes the listeners and ends the workers.

#include <memory>
#include <vector>

#include "balancer/config/model.h"
#include "balancer/health/checker.h"
#include "balancer/proxy/worker.h"
#include "balancer/runtime/runtime.h"
#include "common/error.h"

namespace tandem::balancer::proxy {

class Balancer {
 public:
  static Result<std::unique_ptr<Balancer>> create(const config::Config& cfg, unsigned threads,
                                                 stick::StickRegistry& sticks);
  ~Balancer();

  Result<void> bind();
  void start();
  void stop();

  runtime::Runtime& runtime() { return *runtime_; }
  health::Checker& checker() { return *checker_; }
  unsigned threads() const { return static_cast<unsigned>(workers_.size()); }
  std::size_t listeners() const { return listeners_.size(); }

 private:
  Balancer() = default;
  struct Listener;
  void start_accepting(Worker& w, Listener& l, int fd);

  std::unique_ptr<runtime::Runtime> runtime_;
  std::unique_ptr<health::Checker> checker_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<Listener>> listeners_;
};

}  // namespace tandem::balancer::proxy
