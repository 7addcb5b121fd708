// StickTable: replication (apply, collect, copies for Watch) and
// administration (set, erase, clear). The data path is in stick_table.cpp.
#include <algorithm>
#include <bit>
#include <limits>

#include "balancer/stick/change_signal.h"
#include "balancer/stick/stick_shard.h"
#include "balancer/stick/stick_table.h"
#include "balancer/stick/stick_time.h"
#include "common/strings.h"

namespace tandem::balancer::stick {

namespace {
constexpr std::uint32_t kRefShardShift = 25;
constexpr std::uint32_t kRefIndexMask = (1u << kRefShardShift) - 1;
// Deletes waiting for the change log, per shard, before they are dropped and
// every Watch is sent a snapshot instead (nobody collected for that long).
constexpr std::size_t kMaxPendingTombstones = 1u << 16;
// Slots visited per shard lock hold by scans and clear.
constexpr std::uint32_t kSlotsPerHold = 1024;

// The 64-bit sequence number whose low 32 bits are `tag`, at or before
// `head`. 0 (never collected) stays 0.
std::uint64_t widen_seq(std::uint32_t tag, std::uint64_t head) {
  if (tag == 0) return 0;
  return head - static_cast<std::uint32_t>(static_cast<std::uint32_t>(head) - tag);
}

// Is (us, node) later than the entry's version?
bool newer(std::int64_t us, std::string_view node, const EntryHeader& h, const NamePool& nodes) {
  if (us != h.origin_us()) return us > h.origin_us();
  return node > nodes.name(h.origin);
}
}  // namespace

void StickTable::copy_image(const Shard& s, std::uint32_t idx, StickNow now, std::uint64_t head,
                            ImageBatch& out) const {
  EntryRef e = entry(s, idx);
  const EntryHeader& h = e.h();
  EntryImage im;
  im.table = this;
  KeyView k = e.key();
  im.key_off = static_cast<std::uint32_t>(out.bytes.size());
  im.key_len = k.size;
  out.bytes.append(k.bytes());
  im.data_off = static_cast<std::uint32_t>(out.data.size());
  for (const DataDef& d : def_.store) {
    DatumImage di;
    di.type = d.type;
    switch (data_type_info(d.type).kind) {
      case ValueKind::server:
        im.server = e.load<ServerRef>(d.type);
        continue;  // travels as a name
      case ValueKind::u32:
        di.value = e.load<std::uint32_t>(d.type);
        break;
      case ValueKind::u64:
        di.value = e.load<std::uint64_t>(d.type);
        break;
      case ValueKind::rate:
        di.period_ms = d.period_ms;
        di.rate = freq_state(e.load<FreqCtr>(d.type), d.period_ms, now.tick_ms);
        di.value = freq_read(e.load<FreqCtr>(d.type), d.period_ms, now.tick_ms);
        break;
    }
    out.data.push_back(di);
  }
  im.data_count = static_cast<std::uint32_t>(out.data.size()) - im.data_off;
  // An entry in use does not expire: it has a whole `expire` ahead of it.
  im.expire_in_ms = def_.expire_ms == 0 ? 0 : h.refs > 0 ? def_.expire_ms : tick_remain(now.tick_ms, h.expire);
  im.refs = h.refs;
  im.origin = h.origin;
  im.origin_us = h.origin_us();
  im.seq = widen_seq(h.seq, head);
  out.entries.push_back(im);
}

std::size_t StickTable::scan(ScanPos& pos, std::size_t max, StickNow now, std::uint64_t head, ImageBatch& out) const {
  std::size_t copied = 0;
  while (copied < max && pos.shard < nshards_) {
    const Shard& s = shards_[pos.shard];
    {
      std::lock_guard lock(s.mutex);
      const std::uint32_t hw = s.slab.high_water();
      for (std::uint32_t visited = 0; pos.slot < hw && visited < kSlotsPerHold && copied < max; ++visited) {
        std::uint32_t idx = pos.slot++;
        const EntryHeader& h = s.slab.h(idx);
        if ((h.flags & EntryHeader::kInUse) && live(h, now.tick_ms)) {
          copy_image(s, idx, now, head, out);
          ++copied;
        }
      }
      if (pos.slot < hw) continue;
    }
    ++pos.shard;
    pos.slot = 0;
  }
  return copied;
}

bool StickTable::image_of_key(KeyView key, StickNow now, std::uint64_t head, ImageBatch& out) const {
  const std::uint64_t h = hash(key);
  std::uint32_t si;
  Shard& s = shard_of(h, si);
  std::lock_guard lock(s.mutex);
  std::uint32_t idx = find(s, key, h);
  if (idx == kNil || !live(s.slab.h(idx), now.tick_ms)) return false;
  copy_image(s, idx, now, head, out);
  return true;
}

bool StickTable::image_of_ref(std::uint32_t ref, std::uint64_t seq, int skip_origin, StickNow now,
                              ImageBatch& out) const {
  const std::uint32_t si = ref >> kRefShardShift, idx = ref & kRefIndexMask;
  if (si >= nshards_) return false;
  const Shard& s = shards_[si];
  std::lock_guard lock(s.mutex);
  if (idx >= s.slab.high_water()) return false;
  const EntryHeader& h = s.slab.h(idx);
  if (!(h.flags & EntryHeader::kInUse) || h.seq != static_cast<std::uint32_t>(seq) || !live(h, now.tick_ms) ||
      static_cast<int>(h.origin) == skip_origin)
    return false;
  copy_image(s, idx, now, seq, out);
  return true;
}

// ---- Change collection ------------------------------------------------------

void StickTable::collect(std::uint64_t& next_seq, std::vector<LogRecord>& records,
                         std::vector<LoggedTombstone>& tombstones) {
  const std::uint64_t first = next_seq;
  // Shards in ascending order, as before, but only those with something pending.
  for (std::uint64_t dirty = pending_shards_.exchange(0, std::memory_order_acq_rel); dirty; dirty &= dirty - 1) {
    const auto si = static_cast<std::uint32_t>(std::countr_zero(dirty));
    Shard& s = shards_[si];
    std::lock_guard lock(s.mutex);
    for (std::uint64_t item : s.pending) {
      if (item & Shard::kTombstoneItem) {
        PendingTombstone& t = s.tombstones[static_cast<std::size_t>(item & ~Shard::kTombstoneItem)];
        tombstones.push_back(LoggedTombstone{next_seq, id_, std::move(t.key), t.origin, t.origin_us});
        records.push_back(LogRecord{id_, t.origin, LogRecord::kTombstone});
        ++next_seq;
        continue;
      }
      if (!listed(s, item)) continue;  // a dead listing: freed or deleted since
      const std::uint32_t idx = Shard::item_index(item);
      EntryHeader& h = s.slab.h(idx);
      h.flags &= static_cast<std::uint8_t>(~EntryHeader::kDirty);
      h.seq = static_cast<std::uint32_t>(next_seq);
      records.push_back(LogRecord{id_, h.origin, si << kRefShardShift | idx});
      ++next_seq;
    }
    s.pending.clear();
    s.tombstones.clear();
  }
  if (next_seq != first) last_seq_.store(next_seq - 1, std::memory_order_relaxed);
}

// Deletes entry `idx` (not in use) as version (origin, origin_us). In a
// replicated table the delete is logged and the key stays as a tombstone: a
// slot with the key and the delete's version but no values, absent to every
// lookup, until the table's `expire` has passed. Apply compares against it,
// so an older write arriving late (from a peer that wrote concurrently)
// cannot bring the key back on one node only. Any version older than the
// delete expires before the tombstone does, so `expire` is long enough.
void StickTable::delete_logged(Shard& s, std::uint32_t idx, std::uint8_t origin, std::int64_t origin_us, StickNow now) {
  if (!replicated_) {
    free_entry(s, idx);
    return;
  }
  if (s.tombstones.size() >= kMaxPendingTombstones) {
    // Nobody has collected for a very long time: drop what waits and make
    // every Watch start over with a snapshot (which carries no deletes).
    for (std::uint64_t item : s.pending)
      if (!(item & Shard::kTombstoneItem) && listed(s, item)) invalidate_listing(s, Shard::item_index(item));
    s.pending.clear();
    s.tombstones.clear();
    lost_.store(true, std::memory_order_release);
  }
  invalidate_listing(s, idx);  // a change listed before must not be logged after this delete
  if (s.pending.empty()) now_pending(s);
  s.pending.push_back(Shard::kTombstoneItem | s.tombstones.size());
  s.tombstones.push_back(PendingTombstone{std::string(entry(s, idx).key().bytes()), origin, origin_us});

  EntryRef e = entry(s, idx);
  EntryHeader& h = e.h();
  e.clear_data();
  h.flags = static_cast<std::uint8_t>((h.flags & ~EntryHeader::kTouched) | EntryHeader::kDeleted);
  h.origin = origin;
  h.set_origin_us(origin_us);
  tombstones_.fetch_add(1, std::memory_order_relaxed);
  // Without expiry, `expire` is the last use: an old one, so that eviction
  // prefers tombstones.
  if (def_.expire_ms)
    set_expire(s, idx, now.tick_ms + def_.expire_ms);
  else
    h.expire = now.tick_ms - 0x40000000u;
}

// ---- Replication ------------------------------------------------------------

ApplyOutcome StickTable::apply(const IncomingEntry& in, std::uint8_t origin, ServerRef sref, const NamePool& nodes,
                               StickNow now) {
  if (!layout_.stores(DataType::server_id)) sref = 0;
  const std::uint64_t hv = hash(in.key);
  std::uint32_t si;
  Shard& s = shard_of(hv, si);
  std::lock_guard lock(s.mutex);
  std::uint32_t idx = find(s, in.key, hv);
  const bool exists = idx != kNil && live(s.slab.h(idx), now.tick_ms);
  // A tombstone still held counts as a version too (until it expires).
  const bool tombstone = idx != kNil && !exists && (s.slab.h(idx).flags & EntryHeader::kDeleted) &&
                         (def_.expire_ms == 0 || !tick_expired(s.slab.h(idx).expire, now.tick_ms));
  if ((exists || tombstone) && !newer(in.origin_us, in.origin_node, s.slab.h(idx), nodes)) return ApplyOutcome::stale;

  if (in.deleted) {
    if (tombstone) {  // a later delete of a deleted key: keep the later version
      s.slab.h(idx).origin = origin;
      s.slab.h(idx).set_origin_us(in.origin_us);
      return ApplyOutcome::applied;
    }
    if (!exists) {
      if (idx != kNil) free_entry(s, idx);  // expired: make room for the tombstone below
      // Remember the delete (see delete_logged), if there is room: a delete
      // of an unknown key never evicts a live entry.
      idx = create(s, si, in.key, hv, now, /*may_evict=*/false);
      if (idx == kNil) return ApplyOutcome::applied;
      delete_logged(s, idx, origin, in.origin_us, now);
      return ApplyOutcome::applied;
    }
    EntryRef e = entry(s, idx);
    EntryHeader& h = e.h();
    if (h.refs == 0) {
      delete_logged(s, idx, origin, in.origin_us, now);
      return ApplyOutcome::applied;
    }
    // In use here: keep the entry for its sessions, but forget what the
    // delete removed, so the entry coming back later carries nothing stale.
    std::uint32_t cur = e.stores(DataType::conn_cur) ? e.load<std::uint32_t>(DataType::conn_cur) : 0;
    e.clear_data();
    for (const DataDef& d : def_.store)
      if (is_rate(d.type)) e.store(d.type, FreqCtr{now.tick_ms, 0, 0});
    if (e.stores(DataType::conn_cur)) e.store(DataType::conn_cur, cur);
    touch_entry(s, idx, e, now);
    h.origin = origin;
    h.set_origin_us(in.origin_us);
    mark_dirty(s, idx);
    return ApplyOutcome::applied;
  }

  if (idx == kNil) {
    idx = create(s, si, in.key, hv, now);
    if (idx == kNil) return ApplyOutcome::full;
  } else if (!exists) {
    init_entry(s, idx, now);
  }
  EntryRef e = entry(s, idx);
  e.clear_data();
  for (const DataDef& d : def_.store)
    if (is_rate(d.type)) e.store(d.type, FreqCtr{now.tick_ms, 0, 0});
  if (sref) e.store(DataType::server_id, sref);
  for (const IncomingDatum& d : in.data) {
    switch (data_type_info(d.type).kind) {
      case ValueKind::u32:
        e.store(d.type, static_cast<std::uint32_t>(d.value));
        break;
      case ValueKind::u64:
        e.store(d.type, d.value);
        break;
      case ValueKind::rate:
        e.store(d.type, freq_from_state(d.rate, d.period_ms, now.tick_ms));
        break;
      case ValueKind::server:
        break;  // rejected by validate_incoming
    }
  }
  EntryHeader& h = e.h();
  if (def_.expire_ms) {
    auto remain = static_cast<std::uint32_t>(std::clamp<std::int64_t>(in.expire_in_ms, 1, def_.expire_ms));
    set_expire(s, idx, now.tick_ms + remain);
  } else {
    h.flags |= EntryHeader::kTouched;
  }
  h.origin = origin;
  h.set_origin_us(in.origin_us);
  mark_dirty(s, idx);
  return ApplyOutcome::applied;
}

// ---- Administration ---------------------------------------------------------

Result<void> StickTable::set_values(KeyView key, std::string_view server_name, std::span<const IncomingDatum> data,
                                    StickNow now) {
  if (!key_format().valid_size(key.size)) return fail("key does not fit the table's type");
  if (auto r = validate_data(def_, data, false); !r) return r;
  ServerRef sref = 0;
  if (!server_name.empty()) {
    if (!layout_.stores(DataType::server_id)) return fail(cat("table '", name(), "' does not store server_id"));
    if (server_name.size() > kMaxNameLen) return fail("server name too long");
    auto r = servers_.intern(server_name);
    if (!r) return fail(cat("table '", name(), "' knows too many server names"));
    sref = *r + 1;
  }
  const std::uint64_t hv = hash(key);
  std::uint32_t si;
  Shard& s = shard_of(hv, si);
  std::lock_guard lock(s.mutex);
  std::uint32_t idx = get_or_create(s, si, key, hv, now);
  if (idx == kNil) return fail(cat("table '", name(), "' is full"));
  EntryRef e = entry(s, idx);
  if (sref) e.store(DataType::server_id, sref);
  for (const IncomingDatum& d : data) {
    switch (data_type_info(d.type).kind) {
      case ValueKind::u32:
        e.store(d.type, static_cast<std::uint32_t>(d.value));
        break;
      case ValueKind::u64:
        e.store(d.type, d.value);
        break;
      case ValueKind::rate:
        // HAProxy's `set table ... data.X_rate V`: V events in a period that
        // starts now, so the rate reads V for a period, then fades.
        e.store(d.type, d.has_rate ? freq_from_state(d.rate, e.period(d.type), now.tick_ms)
                                   : FreqCtr{now.tick_ms, static_cast<std::uint32_t>(d.value), 0});
        break;
      case ValueKind::server:
        break;
    }
  }
  touch_entry(s, idx, e, now);
  changed_local(s, idx, e, now);
  return {};
}

bool StickTable::erase(KeyView key, StickNow now) {
  const std::uint64_t hv = hash(key);
  std::uint32_t si;
  Shard& s = shard_of(hv, si);
  std::lock_guard lock(s.mutex);
  std::uint32_t idx = find(s, key, hv);
  if (idx == kNil) return false;
  EntryHeader& h = s.slab.h(idx);
  if (h.refs > 0) return false;  // in use: HAProxy's clear skips it too
  if (h.flags & EntryHeader::kDeleted) return false;
  if (!live(h, now.tick_ms)) {
    free_entry(s, idx);  // already expired: nothing to tell the peer
    return false;
  }
  delete_logged(s, idx, 0, std::max(now.wall_us, h.origin_us() + 1), now);
  return true;
}

std::uint64_t StickTable::clear(StickNow now) {
  std::uint64_t removed = 0;
  for (std::uint32_t si = 0; si < nshards_; ++si) {
    Shard& s = shards_[si];
    for (std::uint32_t slot = 0;;) {
      std::lock_guard lock(s.mutex);  // released every kSlotsPerHold slots
      const std::uint32_t hw = s.slab.high_water();
      for (std::uint32_t visited = 0; slot < hw && visited < kSlotsPerHold; ++visited) {
        std::uint32_t idx = slot++;
        EntryHeader& h = s.slab.h(idx);
        if (!(h.flags & EntryHeader::kInUse) || (h.flags & EntryHeader::kDeleted) || h.refs > 0) continue;
        if (live(h, now.tick_ms)) {
          delete_logged(s, idx, 0, std::max(now.wall_us, h.origin_us() + 1), now);
          ++removed;
        } else {
          free_entry(s, idx);
        }
      }
      if (slot >= hw) break;
    }
  }
  return removed;
}

}  // namespace tandem::balancer::stick
