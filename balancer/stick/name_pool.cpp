#include "balancer/stick/name_pool.h"

namespace tandem::balancer::stick {

NamePool::NamePool(std::uint32_t capacity)
    : capacity_(capacity), chunks_(new std::atomic<Slot*>[(capacity + kChunk - 1) / kChunk]) {
  for (std::uint32_t i = 0; i < (capacity + kChunk - 1) / kChunk; ++i) chunks_[i].store(nullptr);
}

NamePool::~NamePool() {
  for (std::uint32_t i = 0; i < (capacity_ + kChunk - 1) / kChunk; ++i) delete[] chunks_[i].load();
}

std::optional<std::uint32_t> NamePool::intern(std::string_view name) {
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(name); it != index_.end()) return it->second;
  std::uint32_t id = size_.load(std::memory_order_relaxed);
  if (id >= capacity_) return std::nullopt;
  Slot* chunk = chunks_[id / kChunk].load(std::memory_order_relaxed);
  if (!chunk) {
    chunk = new Slot[kChunk];
    chunks_[id / kChunk].store(chunk, std::memory_order_release);
  }
  chunk[id % kChunk].name.assign(name);
  index_.emplace(chunk[id % kChunk].name, id);
  // Publishes the name: a reader that sees an id < size() sees its name.
  size_.store(id + 1, std::memory_order_release);
  return id;
}

std::optional<std::uint32_t> NamePool::find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(name); it != index_.end()) return it->second;
  return std::nullopt;
}

}  // namespace tandem::balancer::stick
