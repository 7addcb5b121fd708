#pragma once
// A shard's key index: open addressing with linear probing over a
// power-of-two array of 32-bit slots. A slot holds an entry's slab index
// (25 bits, Slab::kMaxIndex) and 7 bits of its hash (the tag), so a lookup
// compares tags in the array, which is one cache line for 16 slots, and
// touches an entry only when its tag matches (1 in 127 for another key). A
// lookup that misses (every insert of a resync into an empty table) touches
// no entry at all. Chains through the entries cost a dependent load per
// entry on the chain, each a cache miss in a large table: about half of a
// 1M-entry resync's apply time went to them.
//
// Load (entries + deleted slots) stays <= 3/4; the array doubles, or is
// rebuilt at its size when deleted slots are most of the load. A shard holds
// 1/64 of a large table, so a rebuild rehashes a few thousand entries under
// that shard's lock only, never the whole table. 4 bytes per slot: 5.3 to
// 10.7 bytes per entry.
//
// Erase leaves a deleted mark (a probe goes past it, an insert may reuse it),
// so erasing needs no other entry's hash.
//
// Not thread-safe: the owning shard's lock guards it.

#include <cstdint>
#include <vector>

#include "balancer/stick/slab.h"

namespace tandem::balancer::stick {

class HashIndex {
 public:
  HashIndex() : slots_(kInitial, kEmpty) {}

  template <typename Match>
  std::uint32_t find(const Slab&, std::uint64_t hash, Match&& match) const {
    const std::uint32_t want = tag_of(hash);
    for (std::uint64_t pos = hash & mask();; pos = (pos + 1) & mask()) {
      const std::uint32_t s = slots_[pos];
      if (s == kEmpty) return kNil;
      if ((s & kTagMask) == want && match(s & kIndexMask)) return s & kIndexMask;
    }
  }

  // `idx` must not be indexed already. `rehash(idx)` gives the hash of an
  // entry already indexed (when the array is rebuilt); `prefetch(idx)` may
  // start loading what rehash(idx) will read.
  struct NoPrefetch {
    void operator()(std::uint32_t) const {}
  };
  template <typename Rehash, typename Prefetch = NoPrefetch>
  void insert(Slab&, std::uint32_t idx, std::uint64_t hash, Rehash&& rehash, Prefetch&& prefetch = {}) {
    if ((count_ + deleted_ + 1) * 4 > slots_.size() * 3)
      rebuild((count_ + 1) * 8 > slots_.size() * 3 ? slots_.size() * 2 : slots_.size(), rehash, prefetch);
    for (std::uint64_t pos = hash & mask();; pos = (pos + 1) & mask()) {
      std::uint32_t& s = slots_[pos];
      if (s == kEmpty || s == kDeleted) {
        if (s == kDeleted) --deleted_;
        s = tag_of(hash) | idx;
        ++count_;
        return;
      }
    }
  }

  // `hash` is the entry's (as given to insert).
  void erase(Slab&, std::uint32_t idx, std::uint64_t hash) {
    for (std::uint64_t pos = hash & mask();; pos = (pos + 1) & mask()) {
      std::uint32_t& s = slots_[pos];
      if (s == kEmpty) return;  // not indexed
      if (s != kDeleted && (s & kIndexMask) == idx) {
        s = kDeleted;
        --count_;
        ++deleted_;
        return;
      }
    }
  }

  std::uint32_t size() const { return count_; }
  std::size_t bytes() const { return slots_.capacity() * sizeof(std::uint32_t); }
  // Slots in the array (for tests: growth and rebuilds).
  std::size_t slots() const { return slots_.size(); }

 private:
  static constexpr std::size_t kInitial = 16;
  static constexpr std::uint32_t kIndexBits = 25;
  static_assert(Slab::kMaxIndex == 1u << kIndexBits, "a slot holds a slab index and a tag in 32 bits");
  static constexpr std::uint32_t kIndexMask = (1u << kIndexBits) - 1;
  static constexpr std::uint32_t kTagMask = ~kIndexMask;
  // Tags run 0..126: tag 127 with the highest index would read as kEmpty or kDeleted.
  static constexpr std::uint32_t kEmpty = 0xffffffffu;
  static constexpr std::uint32_t kDeleted = 0xfffffffeu;

  static std::uint32_t tag_of(std::uint64_t hash) {
    // The position uses the low bits (at most 26: Slab::kMaxIndex entries at
    // load >= 3/8), the table picks the shard with the top ones: the tag takes
    // bits 32..38, folded to 0..126.
    auto t = static_cast<std::uint32_t>(hash >> 32) & 127;
    return (t == 127 ? 126 : t) << kIndexBits;
  }
  std::uint64_t mask() const { return slots_.size() - 1; }

  template <typename Rehash, typename Prefetch>
  void rebuild(std::size_t size, Rehash&& rehash, Prefetch&& prefetch) {
    std::vector<std::uint32_t> next(size, kEmpty);
    const std::uint64_t m = size - 1;
    // rehash() reads each entry's key: entries in slot order are scattered
    // over the slab, so fetch a few ahead (a miss each otherwise).
    constexpr std::size_t kAhead = 8;
    for (std::size_t j = 0; j < slots_.size(); ++j) {
      if (j + kAhead < slots_.size() && slots_[j + kAhead] < kDeleted) prefetch(slots_[j + kAhead] & kIndexMask);
      const std::uint32_t s = slots_[j];
      if (s == kEmpty || s == kDeleted) continue;
      std::uint64_t pos = rehash(s & kIndexMask) & m;
      while (next[pos] != kEmpty) pos = (pos + 1) & m;
      next[pos] = s;  // the tag comes from the same hash
    }
    slots_.swap(next);
    deleted_ = 0;
  }

  std::vector<std::uint32_t> slots_;
  std::uint32_t count_ = 0;
  std::uint32_t deleted_ = 0;
};

}  // namespace tandem::balancer::stick
