#include "balancer/stick/expiry_queue.h"

namespace tandem::balancer::stick {

ExpiryQueue::ExpiryQueue(std::uint32_t expire_ms, std::uint32_t now)
    : n_(expire_ms ? kBuckets : 1),
      // Entries expire at most `expire` after now and base_ is at most one
      // bucket behind now, so N-2 buckets of width ceil(expire/(N-2)) ahead of
      // the current one always suffice.
      w_(expire_ms ? (expire_ms + kBuckets - 3) / (kBuckets - 2) : 1),
      base_(now) {
  head_.assign(n_, kNil);
  tail_.assign(n_, kNil);
}

std::uint8_t ExpiryQueue::slot_for(std::uint32_t expire) const {
  if (n_ == 1) return 0;
  std::int32_t d = tick_diff(base_, expire);
  std::uint32_t off = d <= 0 ? 0 : static_cast<std::uint32_t>(d) / w_;
  if (off >= n_) off = n_ - 1;
  return static_cast<std::uint8_t>((pos_ + off) % n_);
}

void ExpiryQueue::push(Slab& slab, std::uint32_t idx, std::uint8_t slot) {
  EntryHeader& e = slab.h(idx);
  e.q_slot = slot;
  e.q_next = kNil;
  e.q_prev = tail_[slot];
  if (tail_[slot] != kNil)
    slab.h(tail_[slot]).q_next = idx;
  else
    head_[slot] = idx;
  tail_[slot] = idx;
}

void ExpiryQueue::remove(Slab& slab, std::uint32_t idx) {
  EntryHeader& e = slab.h(idx);
  if (e.q_prev != kNil)
    slab.h(e.q_prev).q_next = e.q_next;
  else
    head_[e.q_slot] = e.q_next;
  if (e.q_next != kNil)
    slab.h(e.q_next).q_prev = e.q_prev;
  else
    tail_[e.q_slot] = e.q_prev;
  e.q_prev = e.q_next = kNil;
}

std::uint32_t ExpiryQueue::due(std::uint32_t now) {
  if (n_ == 1) return kNil;
  const std::uint64_t span = static_cast<std::uint64_t>(n_) * w_;
  while (true) {
    std::int32_t lag = tick_diff(base_, now);
    if (lag < static_cast<std::int32_t>(w_)) return kNil;  // the current bucket's time is not over
    if (head_[pos_] != kNil) return head_[pos_];
    // Long idle (no sweep for several revolutions): skip whole empty
    // revolutions at once, keeping every bucket due, rather than stepping
    // through millions of empty buckets.
    if (static_cast<std::uint64_t>(lag) >= 2 * span)
      base_ += static_cast<std::uint32_t>((static_cast<std::uint64_t>(lag) - span) / span * span);
    pos_ = (pos_ + 1) % n_;
    base_ += w_;
  }
}

}  // namespace tandem::balancer::stick
