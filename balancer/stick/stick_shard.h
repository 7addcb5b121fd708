#pragma once
// One shard of a stick table (internal): a lock and everything it guards.
//
// Lock rule: every field below is read and written with `mutex` held, and no
// code holds two shard mutexes at once except through try_lock (eviction from
// a neighbour), so shards cannot deadlock. The change signal's mutex may be
// taken while a shard mutex is held, never the other way round.

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "balancer/stick/expiry_queue.h"
#include "balancer/stick/hash_index.h"
#include "balancer/stick/slab.h"

namespace tandem::balancer::stick {

struct PendingTombstone {
  std::string key;
  std::uint8_t origin = 0;
  std::int64_t origin_us = 0;
};

struct alignas(64) Shard {
  Shard(std::uint32_t entry_size, std::uint32_t chunk_shift, std::uint32_t expire_ms, std::uint32_t now)
      : slab(entry_size, chunk_shift), queue(expire_ms, now) {}

  static constexpr std::uint32_t kTombstoneBit = 0x80000000u;

  mutable std::mutex mutex;
  Slab slab;
  HashIndex index;
  ExpiryQueue queue;

  // Replicated tables only. Changes not yet numbered by the change log, in
  // the order they happened: a slot index (its entry is kDirty: listed once
  // however often it changes before the next collection), or kTombstoneBit |
  // an index into `tombstones`.
  std::vector<std::uint32_t> pending;
  std::vector<PendingTombstone> tombstones;
  // Slots of entries deleted (with a tombstone) while still listed in
  // `pending`: reused only after the next collection, so that a key deleted
  // and created again in the same slot is logged delete-then-create, never
  // the other way round.
  std::vector<std::uint32_t> quarantine;
};

}  // namespace tandem::balancer::stick
