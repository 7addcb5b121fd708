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

  // A pending item: a slot index with the slot's list_gen above it (a listing
  // whose generation is no longer the slot's is dead), or kTombstoneItem | an
  // index into `tombstones`.
  static constexpr std::uint64_t kTombstoneItem = 1ULL << 63;
  static std::uint64_t item(std::uint32_t idx, std::uint8_t gen) { return static_cast<std::uint64_t>(gen) << 32 | idx; }
  static std::uint32_t item_index(std::uint64_t item) { return static_cast<std::uint32_t>(item); }
  static std::uint8_t item_gen(std::uint64_t item) { return static_cast<std::uint8_t>(item >> 32); }

  mutable std::mutex mutex;
  Slab slab;
  HashIndex index;
  ExpiryQueue queue;

  // Replicated tables only. Changes not yet numbered by the change log, in
  // the order they happened: an entry (kDirty: listed once however often it
  // changes before the next collection), or a delete. When a listed entry is
  // freed or deleted its listing dies (list_gen moves on), so an entry
  // created again in that slot is listed anew, after the delete: the log
  // never says create-then-delete for delete-then-create.
  std::vector<std::uint64_t> pending;
  std::vector<PendingTombstone> tombstones;
};

}  // namespace tandem::balancer::stick
