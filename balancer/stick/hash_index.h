#pragma once
// A shard's key index: a power-of-two array of chain heads; chains run
// through EntryHeader::hash_next. 4 bytes per bucket plus 4 per entry. It
// doubles when entries outnumber buckets (load factor <= 1: lookups touch the
// bucket and, on average, about 1.5 entries); a shard holds 1/64 of a large
// table, so a doubling rehashes a few thousand entries under that shard's lock
// only, never the whole table.
//
// Not thread-safe: the owning shard's lock guards it.

#include <cstdint>
#include <vector>

#include "balancer/stick/slab.h"

namespace tandem::balancer::stick {

class HashIndex {
 public:
  HashIndex() : buckets_(kInitial, kNil) {}

  template <typename Match>
  std::uint32_t find(const Slab& slab, std::uint64_t hash, Match&& match) const {
    for (std::uint32_t i = buckets_[hash & mask()]; i != kNil; i = slab.h(i).hash_next)
      if (match(i)) return i;
    return kNil;
  }

  // `rehash(idx)` gives the hash of an entry already indexed (on growth).
  template <typename Rehash>
  void insert(Slab& slab, std::uint32_t idx, std::uint64_t hash, Rehash&& rehash) {
    if (count_ >= buckets_.size()) grow(slab, rehash);
    std::uint32_t& head = buckets_[hash & mask()];
    slab.h(idx).hash_next = head;
    head = idx;
    ++count_;
  }

  void erase(Slab& slab, std::uint32_t idx, std::uint64_t hash) {
    std::uint32_t* link = &buckets_[hash & mask()];
    while (*link != kNil) {
      if (*link == idx) {
        *link = slab.h(idx).hash_next;
        --count_;
        return;
      }
      link = &slab.h(*link).hash_next;
    }
  }

  std::uint32_t size() const { return count_; }
  std::size_t bytes() const { return buckets_.capacity() * sizeof(std::uint32_t); }

 private:
  static constexpr std::size_t kInitial = 16;
  std::uint64_t mask() const { return buckets_.size() - 1; }

  template <typename Rehash>
  void grow(Slab& slab, Rehash&& rehash) {
    std::vector<std::uint32_t> next(buckets_.size() * 2, kNil);
    const std::uint64_t m = next.size() - 1;
    for (std::uint32_t head : buckets_) {
      for (std::uint32_t i = head; i != kNil;) {
        std::uint32_t after = slab.h(i).hash_next;
        std::uint32_t& b = next[rehash(i) & m];
        slab.h(i).hash_next = b;
        b = i;
        i = after;
      }
    }
    buckets_.swap(next);
  }

  std::vector<std::uint32_t> buckets_;
  std::uint32_t count_ = 0;
};

}  // namespace tandem::balancer::stick
