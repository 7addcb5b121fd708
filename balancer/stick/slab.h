#pragma once
// A shard's entries: fixed-size slots in chunks allocated on demand, addressed
// by a 32-bit index (chunk << shift | offset), with a free list threaded
// through the slots. No per-entry malloc header, no per-entry pointer: an
// index costs 4 bytes where a pointer costs 8. Chunks are kept once allocated
// (as HAProxy keeps its pools): memory follows the table's high-water mark.
//
// Not thread-safe: the owning shard's lock guards it.

#include <cstdint>
#include <memory>
#include <vector>

#include "balancer/stick/stick_entry.h"

namespace tandem::balancer::stick {

class Slab {
 public:
  // Indexes stay below 2^25 so that a shard number fits beside them in a
  // 32-bit log reference (see change_log.h).
  static constexpr std::uint32_t kMaxIndex = 1u << 25;

  Slab(std::uint32_t entry_size, std::uint32_t chunk_shift) : size_(entry_size), shift_(chunk_shift) {}

  std::uint8_t* at(std::uint32_t idx) const {
    return chunks_[idx >> shift_].get() + static_cast<std::size_t>(idx & ((1u << shift_) - 1)) * size_;
  }
  EntryHeader& h(std::uint32_t idx) const { return *reinterpret_cast<EntryHeader*>(at(idx)); }

  // A zeroed header in a free slot (but for EntryHeader::list_gen, which a
  // slot keeps for its lifetime); kNil when the index space is exhausted.
  std::uint32_t alloc() {
    std::uint32_t idx = free_;
    std::uint8_t gen = 0;
    if (idx != kNil) {
      free_ = h(idx).hash_next;
      gen = h(idx).list_gen;
    } else {
      if (used_ >= kMaxIndex) return kNil;
      idx = used_;
      if ((idx >> shift_) >= chunks_.size())
        chunks_.emplace_back(new std::uint8_t[static_cast<std::size_t>(size_) << shift_]);
      ++used_;
    }
    new (at(idx)) EntryHeader{};
    h(idx).list_gen = gen;
    return idx;
  }

  void free(std::uint32_t idx) {
    EntryHeader& e = h(idx);
    e.flags = 0;
    e.hash_next = free_;
    free_ = idx;
  }

  // Slots ever handed out: iteration visits [0, high_water()) and skips
  // those without EntryHeader::kInUse.
  std::uint32_t high_water() const { return used_; }
  std::size_t bytes() const { return chunks_.size() * (static_cast<std::size_t>(size_) << shift_); }

 private:
  std::vector<std::unique_ptr<std::uint8_t[]>> chunks_;
  std::uint32_t size_;
  std::uint32_t shift_;
  std::uint32_t used_ = 0;
  std::uint32_t free_ = kNil;
};

}  // namespace tandem::balancer::stick
