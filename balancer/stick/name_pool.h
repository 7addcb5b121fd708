#pragma once
// Interned names with small dense ids: servers per table (entries store a
// 4-byte ServerRef, replication carries the name) and origin nodes per
// registry (entries store a 1-byte id).
//
// Append-only: a name never changes or moves once added, so readers on the
// data path get it by id without a lock (ids are published with release
// stores). Adding takes a mutex. The capacity is fixed and bounded, so a peer
// sending endless new names cannot grow memory without limit.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tandem::balancer::stick {

class NamePool {
 public:
  explicit NamePool(std::uint32_t capacity);
  ~NamePool();
  NamePool(const NamePool&) = delete;
  NamePool& operator=(const NamePool&) = delete;

  // The id of `name`, added when new; nullopt when the pool is full.
  std::optional<std::uint32_t> intern(std::string_view name);
  std::optional<std::uint32_t> find(std::string_view name) const;

  // Lock-free. `id` must come from intern() or find().
  std::string_view name(std::uint32_t id) const { return slot(id).name; }
  // A number attached to each name (a server's local id); 0 until set.
  std::uint32_t value(std::uint32_t id) const { return slot(id).value.load(std::memory_order_relaxed); }
  void set_value(std::uint32_t id, std::uint32_t v) { slot(id).value.store(v, std::memory_order_relaxed); }

  std::uint32_t size() const { return size_.load(std::memory_order_acquire); }
  std::uint32_t capacity() const { return capacity_; }

 private:
  static constexpr std::uint32_t kChunk = 64;
  struct Slot {
    std::string name;
    std::atomic<std::uint32_t> value{0};
  };
  const Slot& slot(std::uint32_t id) const { return chunks_[id / kChunk].load(std::memory_order_acquire)[id % kChunk]; }
  Slot& slot(std::uint32_t id) { return chunks_[id / kChunk].load(std::memory_order_acquire)[id % kChunk]; }

  const std::uint32_t capacity_;
  std::unique_ptr<std::atomic<Slot*>[]> chunks_;  // capacity / kChunk, allocated on demand
  std::atomic<std::uint32_t> size_{0};
  mutable std::mutex mutex_;                                   // guards index_ and adding
  std::unordered_map<std::string_view, std::uint32_t> index_;  // views into the slots
};

}  // namespace tandem::balancer::stick
