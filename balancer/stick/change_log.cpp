#include "balancer/stick/change_log.h"

#include <algorithm>
#include <bit>

namespace tandem::balancer::stick {

ChangeLog::ChangeLog(std::size_t capacity) : cap_(std::bit_ceil(std::max<std::size_t>(capacity, 1024))) {}

std::uint64_t ChangeLog::head() const {
  std::lock_guard lock(mutex_);
  return head_;
}

std::uint64_t ChangeLog::first() const {
  std::lock_guard lock(mutex_);
  return first_;
}

bool ChangeLog::covers(std::uint64_t after) const {
  std::lock_guard lock(mutex_);
  return after + 1 >= first_ && after <= head_;
}

void ChangeLog::append(std::vector<LogRecord>& records, std::vector<LoggedTombstone>& tombstones) {
  std::lock_guard lock(mutex_);
  for (const LogRecord& r : records) {
    std::uint64_t seq = ++head_;
    std::size_t at = static_cast<std::size_t>((seq - 1) % cap_);
    if (at == ring_.size())
      ring_.push_back(r);
    else
      ring_[at] = r;
  }
  if (head_ >= cap_) first_ = std::max(first_, head_ - cap_ + 1);
  for (LoggedTombstone& t : tombstones) tombstones_.push_back(std::move(t));
  while (!tombstones_.empty() && tombstones_.front().seq < first_) tombstones_.pop_front();
}

void ChangeLog::lose_history() {
  std::lock_guard lock(mutex_);
  first_ = head_ + 1;
  tombstones_.clear();
}

std::optional<std::size_t> ChangeLog::read(std::uint64_t after, std::size_t max, LogSlice& out) const {
  std::lock_guard lock(mutex_);
  if (after + 1 < first_ || after > head_) return std::nullopt;
  std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(max, head_ - after));
  out.from = after + 1;
  for (std::uint64_t seq = after + 1; seq <= after + n; ++seq) out.records.push_back(ring_[(seq - 1) % cap_]);
  auto it = std::lower_bound(tombstones_.begin(), tombstones_.end(), after + 1,
                             [](const LoggedTombstone& t, std::uint64_t s) { return t.seq < s; });
  for (; it != tombstones_.end() && it->seq <= after + n; ++it) out.tombstones.push_back(*it);
  return n;
}

std::size_t ChangeLog::memory_bytes() const {
  std::lock_guard lock(mutex_);
  std::size_t t = ring_.capacity() * sizeof(LogRecord);
  for (const LoggedTombstone& x : tombstones_) t += sizeof x + x.key.capacity();
  return t;
}

}  // namespace tandem::balancer::stick
