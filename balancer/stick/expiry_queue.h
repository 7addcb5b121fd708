#pragma once
// A shard's entries in order of expiry, approximately: a timer wheel of N
// buckets of W ms (N*W just over the table's `expire`), each a doubly linked
// list through EntryHeader::q_prev/q_next. Costs 8 bytes per entry and nothing
// on the hot path:
//
//  - Touching an entry only writes its `expire`; it is NOT moved (HAProxy 2.6
//    requeues lazily the same way). An entry therefore sits in a bucket at or
//    before the one its expiry belongs to, never after. (Apply, which may move
//    an expiry earlier, requeues at once to keep that invariant.)
//  - The sweep pops the oldest bucket once its time is over: an entry really
//    expired is freed; one touched since is moved to its proper bucket. So an
//    entry moves at most once per `expire` period however hot it is.
//  - Eviction takes from the oldest buckets the first entry whose expiry truly
//    falls there: the entry closest to expiry, to within one bucket (1/62 of
//    `expire`).
//
// With N = 1 (tables without `expire`) the queue is one FIFO list: eviction
// gives entries touched since they were queued a second chance (the CLOCK
// approximation of least-recently-used; HAProxy evicts the least recently
// touched in that case).
//
// Not thread-safe: the owning shard's lock guards it.

#include <cstdint>
#include <vector>

#include "balancer/stick/slab.h"
#include "balancer/stick/stick_time.h"

namespace tandem::balancer::stick {

class ExpiryQueue {
 public:
  static constexpr std::uint32_t kBuckets = 64;

  // A wheel for `expire_ms` (> 0), or a FIFO when expire_ms == 0.
  ExpiryQueue(std::uint32_t expire_ms, std::uint32_t now);

  bool fifo() const { return n_ == 1; }

  // The bucket an entry expiring at `expire` belongs to: never before the
  // current one, never more than N-1 ahead.
  std::uint8_t slot_for(std::uint32_t expire) const;
  // The far end: where entries in use wait (they cannot expire).
  std::uint8_t last_slot() const { return static_cast<std::uint8_t>((pos_ + n_ - 1) % n_); }

  void push(Slab& slab, std::uint32_t idx, std::uint8_t slot);
  void push(Slab& slab, std::uint32_t idx) { push(slab, idx, fifo() ? 0 : slot_for(slab.h(idx).expire)); }
  void remove(Slab& slab, std::uint32_t idx);

  // The first entry of the oldest bucket whose time is over at `now`, or
  // kNil. Skips (and retires) empty buckets that are over. The caller must
  // take that entry out of the bucket (free or re-push it) before asking again.
  std::uint32_t due(std::uint32_t now);

  // For eviction: the k-th bucket from the current one, and list walking.
  std::uint8_t slot_at(std::uint32_t k) const { return static_cast<std::uint8_t>((pos_ + k) % n_); }
  std::uint32_t buckets() const { return n_; }
  std::uint32_t head(std::uint8_t slot) const { return head_[slot]; }

 private:
  std::vector<std::uint32_t> head_, tail_;
  std::uint32_t n_;     // buckets
  std::uint32_t w_;     // bucket width, ms
  std::uint32_t base_;  // start tick of the current bucket
  std::uint32_t pos_ = 0;
};

}  // namespace tandem::balancer::stick
