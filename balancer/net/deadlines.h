#pragma once
// Per-worker timeouts that cost a few pointer writes to arm.
//
// Every I/O of a session re-arms an inactivity timeout; a timer heap would pay
// a log(n) insertion and a cancellation each time. Instead, deadlines of equal
// duration are kept in one FIFO list per duration: arming a deadline for
// `timeout client` moves it to the tail of that list, and the list stays
// ordered by expiry because every member was armed with the same duration. A
// periodic tick (`resolution`) pops expired heads. Single-threaded: one
// instance per worker, used only on its thread.

#include <chrono>
#include <cstdint>
#include <vector>

namespace tandem::balancer::net {

using SteadyTime = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

class DeadlineLists;

// An intrusive list node a session embeds; fires `on_expire(ctx)` once when
// it expires, unless disarmed or re-armed first.
class Deadline {
 public:
  using Callback = void (*)(void* ctx);

  Deadline(Callback on_expire, void* ctx) : on_expire_(on_expire), ctx_(ctx) {}
  ~Deadline() { disarm(); }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  bool armed() const { return list_ != nullptr; }
  SteadyTime expires_at() const { return expires_; }
  void disarm();

 private:
  friend class DeadlineLists;
  Callback on_expire_;
  void* ctx_;
  struct List* list_ = nullptr;
  Deadline* prev_ = nullptr;
  Deadline* next_ = nullptr;
  SteadyTime expires_{};
};

struct List {
  Millis duration{};
  Deadline* head = nullptr;
  Deadline* tail = nullptr;
};

class DeadlineLists {
 public:
  DeadlineLists() = default;
  DeadlineLists(const DeadlineLists&) = delete;
  DeadlineLists& operator=(const DeadlineLists&) = delete;
  ~DeadlineLists();

  // (Re)arms `d` to expire `duration` after `now`. A zero duration disarms.
  void arm(Deadline& d, Millis duration, SteadyTime now);

  // Fires every deadline that expired at `now`, oldest first. A callback may
  // arm or disarm any deadline, including its own.
  void expire(SteadyTime now);

  // The earliest expiry, or max() when nothing is armed.
  SteadyTime next_expiry() const;
  bool empty() const;

 private:
  List* list_for(Millis duration);
  // Lists are few (one per distinct timeout value in the configuration) and
  // never freed while the worker lives, so nodes may point at them.
  std::vector<List*> lists_;
};

}  // namespace tandem::balancer::net
