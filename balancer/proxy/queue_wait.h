#pragma once
// How a request got its server slot, for the log's %Tw and %sq/%bq: when
// it left the queue (or got the slot at once), where it stood there, and
// whether it gave up (`timeout queue`: HAProxy's sQ termination).

#include <chrono>
#include <cstdint>

namespace tandem::balancer::proxy {

struct QueueWait {
  std::chrono::steady_clock::time_point until{};  // slot granted, or waiting given up; {}: never asked
  std::uint32_t server_pos = 0;   // %sq: position in the server's own queue (0: not queued there)
  std::uint32_t backend_pos = 0;  // %bq: position in the backend's queue
  bool timed_out = false;
};

}  // namespace tandem::balancer::proxy
