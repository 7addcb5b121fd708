// StickTable: creation, the data path, expiry and eviction. Replication and
// administration live in stick_table_sync.cpp.
#include "balancer/stick/stick_table.h"

#include <algorithm>
#include <bit>
#include <limits>

#include "balancer/stick/change_signal.h"
#include "balancer/stick/stick_shard.h"
#include "balancer/stick/stick_time.h"
#include "common/strings.h"

namespace tandem::balancer::stick {

namespace {

constexpr std::uint32_t kRefShardShift = 25;
constexpr std::uint32_t kRefIndexMask = (1u << kRefShardShift) - 1;
// How many entries eviction inspects before settling for the best seen.
constexpr int kEvictInspect = 64;
// Tables this small evict the closest to expiry of the whole table.
constexpr std::uint64_t kGlobalEviction = 65536;

std::uint32_t shard_count_for(std::uint64_t size) {
  // About 2k entries per shard for small tables, 64 shards from 128k up:
  // enough that worker threads rarely meet on a lock, few enough that a small
  // table does not pay 64 shards' bookkeeping.
  std::uint64_t want = std::bit_ceil((size + 2047) / 2048);
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(want, 8, 64));
}

std::uint32_t chunk_shift_for(std::uint64_t size, std::uint32_t shards) {
  // Slab chunks of about 1/8 of a shard's share, 16..2048 entries.
  std::uint64_t per_chunk = std::clamp<std::uint64_t>(std::bit_ceil(size / shards / 8 + 1), 16, 2048);
  return static_cast<std::uint32_t>(std::countr_zero(per_chunk));
}

Result<void> check_def(const TableDef& d) {
  if (d.size < 1 || d.size > kMaxTableSize) return fail(cat("size ", d.size, " is not in 1..", kMaxTableSize));
  switch (d.key_type) {
    case KeyType::ip:
    case KeyType::integer:
      if (d.key_len != 4) return fail("key length must be 4");
      break;
    case KeyType::ipv6:
      if (d.key_len != 16) return fail("key length must be 16");
      break;
    case KeyType::string:
    case KeyType::binary:
      if (d.key_len < 1 || d.key_len > kMaxKeyLen) return fail(cat("len must be in 1..", kMaxKeyLen));
      break;
  }
  if (d.expire_ms > static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max()))
    return fail("expire is over 2147483647ms");
  std::uint32_t seen = 0;
  for (const DataDef& s : d.store) {
    auto bit = 1u << static_cast<unsigned>(s.type);
    if (static_cast<std::size_t>(s.type) >= kDataTypeCount) return fail("unknown data type");
    if (seen & bit) return fail(cat("'", data_type_name(s.type), "' is stored twice"));
    seen |= bit;
    if (is_rate(s.type) != (s.period_ms > 0))
      return fail(cat("'", data_type_name(s.type), is_rate(s.type) ? "' needs a period" : "' takes no period"));
  }
  return {};
}

}  // namespace

// ---- StickRef ---------------------------------------------------------------

StickRef& StickRef::operator=(StickRef&& o) noexcept {
  if (this != &o) {
    if (table_) table_->release(*this, nullptr);
    table_ = o.table_;
    ref_ = o.ref_;
    o.table_ = nullptr;
  }
  return *this;
}

StickRef::~StickRef() {
  if (table_) table_->release(*this, nullptr);
}

// ---- Creation ---------------------------------------------------------------

Result<std::shared_ptr<StickTable>> StickTable::create(TableDef def, Options options, StickNow now) {
  if (auto r = check_def(def); !r) return fail(cat("stick-table '", def.name, "': ", r.error().message));
  return std::shared_ptr<StickTable>(new StickTable(std::move(def), options, now));
}

StickTable::StickTable(TableDef def, Options options, StickNow now)
    : def_(std::move(def)),
      layout_(EntryLayout::make(def_)),
      id_(options.id),
      seed_(options.seed),
      signal_(options.signal),
      replicated_(def_.replicated()),
      nshards_(shard_count_for(def_.size)),
      shard_shift_(64 - static_cast<std::uint32_t>(std::countr_zero(nshards_))),
      servers_(options.max_servers) {
  const std::uint32_t chunk_shift = chunk_shift_for(def_.size, nshards_);
  // Shard is over-aligned (one cache line each: no false sharing between
  // shard locks); operator new[] honours that.
  shards_.reset(static_cast<Shard*>(::operator new[](sizeof(Shard) * nshards_, std::align_val_t(alignof(Shard)))));
  for (std::uint32_t i = 0; i < nshards_; ++i)
    new (&shards_[i]) Shard(layout_.size, chunk_shift, def_.expire_ms, now.tick_ms);
}

StickTable::~StickTable() {
  Shard* s = shards_.release();
  for (std::uint32_t i = 0; i < nshards_; ++i) s[i].~Shard();
  ::operator delete[](s, std::align_val_t(alignof(Shard)));
}

std::size_t StickTable::memory_bytes() const {
  std::size_t total = 0;
  for (std::uint32_t i = 0; i < nshards_; ++i) {
    const Shard& s = shards_[i];
    std::lock_guard lock(s.mutex);
    total += sizeof(Shard) + s.slab.bytes() + s.index.bytes() + s.pending.capacity() * 8 +
             s.tombstones.capacity() * sizeof(PendingTombstone) + (ExpiryQueue::kBuckets * 8);
  }
  return total;
}

std::optional<ServerRef> StickTable::server_ref(std::string_view name, std::uint32_t id) {
  auto i = servers_.intern(name);
  if (!i) return std::nullopt;
  if (id) servers_.set_value(*i, id);
  return *i + 1;
}

// ---- Internals (shard lock held unless said otherwise) ----------------------

Shard& StickTable::shard_of(std::uint64_t hash, std::uint32_t& index) const {
  index = static_cast<std::uint32_t>(hash >> shard_shift_);
  return shards_[index];
}

EntryRef StickTable::entry(const Shard& s, std::uint32_t idx) const { return EntryRef(s.slab.at(idx), layout_); }

bool StickTable::live(const EntryHeader& h, std::uint32_t now) const {
  if (h.flags & EntryHeader::kDeleted) return false;
  return h.refs > 0 || def_.expire_ms == 0 || !tick_expired(h.expire, now);
}

std::uint32_t StickTable::find(Shard& s, KeyView key, std::uint64_t hash) const {
  return s.index.find(s.slab, hash, [&](std::uint32_t i) { return entry(s, i).key_equals(key); });
}

// A new entry in slot `idx` (fresh, expired, or a tombstone coming back).
// The version (origin) is kept: the next change's version must beat it.
void StickTable::init_entry(Shard& s, std::uint32_t idx, StickNow now) {
  EntryRef e = entry(s, idx);
  EntryHeader& h = e.h();
  if (h.flags & EntryHeader::kDeleted) tombstones_.fetch_sub(1, std::memory_order_relaxed);
  h.flags = static_cast<std::uint8_t>((h.flags & EntryHeader::kDirty) | EntryHeader::kInUse);
  h.expire = now.tick_ms + def_.expire_ms;
  e.clear_data();
  for (const DataDef& d : def_.store)
    if (is_rate(d.type)) e.store(d.type, FreqCtr{now.tick_ms, 0, 0});
}

std::uint32_t StickTable::get_or_create(Shard& s, std::uint32_t si, KeyView key, std::uint64_t hash, StickNow now) {
  std::uint32_t idx = find(s, key, hash);
  if (idx == kNil) return create(s, si, key, hash, now);
  if (!live(s.slab.h(idx), now.tick_ms)) init_entry(s, idx, now);  // expired, not yet swept: a new entry
  return idx;
}

std::uint32_t StickTable::create(Shard& s, std::uint32_t si, KeyView key, std::uint64_t hash, StickNow now,
                                 bool may_evict) {
  if (!layout_.key_has_len ? key.size != def_.key_len : key.size > def_.key_len) return kNil;
  if (!reserve(s, si, now, may_evict)) return kNil;
  std::uint32_t idx = s.slab.alloc();
  if (idx == kNil) {
    count_.fetch_sub(1, std::memory_order_relaxed);
    return kNil;
  }
  EntryRef e = entry(s, idx);
  e.set_key(key);
  init_entry(s, idx, now);
  s.queue.push(s.slab, idx);
  s.index.insert(
      s.slab, idx, hash, [&](std::uint32_t i) { return this->hash(entry(s, i).key()); },
      [&](std::uint32_t i) { __builtin_prefetch(s.slab.at(i) + layout_.key_off); });
  return idx;
}

// Reserves room for one more entry, evicting when full.
bool StickTable::reserve(Shard& s, std::uint32_t si, StickNow now, bool may_evict) {
  for (int attempt = 0; attempt < 4; ++attempt) {
    std::uint64_t c = count_.load(std::memory_order_relaxed);
    while (c < def_.size)
      if (count_.compare_exchange_weak(c, c + 1, std::memory_order_relaxed)) return true;
    // `nopurge` refuses new keys, but an expired entry is already gone.
    if (!may_evict || !evict_one(s, si, now, def_.nopurge)) return false;
  }
  return false;
}

// Frees the entry closest to expiry that is not in use. `s` (index `si`) is
// locked by the caller; other shards are only try_lock()ed, one at a time,
// so this never waits on a second lock.
//
// Tables up to kGlobalEviction entries compare every shard's candidate: the
// victim is the table's closest to expiry (to within a bucket). Larger tables
// take the key's own shard's candidate: that shard is a random 1/64 sample of
// tens of thousands of entries, so its oldest is among the table's ~64 oldest,
// and eviction costs one lock, not 64.
bool StickTable::evict_one(Shard& s, std::uint32_t si, StickNow now, bool expired_only) {
  std::uint32_t best_expire = 0;
  std::uint32_t idx = victim(s, now, expired_only, best_expire);
  if (def_.size > kGlobalEviction && idx != kNil) {
    free_entry(s, idx);
    return true;
  }
  std::uint32_t best = idx != kNil ? si : kNil;
  for (std::uint32_t k = 1; k < nshards_; ++k) {
    const std::uint32_t j = (si + k) % nshards_;
    Shard& o = shards_[j];
    if (!o.mutex.try_lock()) continue;
    std::uint32_t e = 0;
    std::uint32_t v = victim(o, now, expired_only, e);
    if (v != kNil && def_.size > kGlobalEviction) {  // large table, own shard had none: take the first
      free_entry(o, v);
      o.mutex.unlock();
      return true;
    }
    o.mutex.unlock();
    if (v != kNil && (best == kNil || tick_diff(e, best_expire) > 0)) {
      best = j;
      best_expire = e;
    }
  }
  if (best == kNil) return false;
  if (best == si) {
    free_entry(s, idx);
    return true;
  }
  Shard& o = shards_[best];
  if (!o.mutex.try_lock()) return false;
  std::uint32_t e = 0;
  std::uint32_t v = victim(o, now, expired_only, e);  // again: it may have changed meanwhile
  if (v != kNil) free_entry(o, v);
  o.mutex.unlock();
  return v != kNil;
}

// The entry of shard `s` closest to expiry and not in use, and its expiry
// (tables without expiry: its last use); kNil when none. With
// `expired_only` (nopurge), only an entry already gone: expired, or a
// tombstone. Entries met on the way that were touched since they were queued
// are moved where they belong.
std::uint32_t StickTable::victim(Shard& s, StickNow now, bool expired_only, std::uint32_t& expire) {
  ExpiryQueue& q = s.queue;
  int inspected = 0;
  if (expired_only && q.fifo()) {
    for (std::uint32_t idx = q.head(0); idx != kNil && inspected < kEvictInspect; ++inspected) {
      const EntryHeader& h = s.slab.h(idx);
      if (h.flags & EntryHeader::kDeleted) {
        expire = h.expire;
        return idx;
      }
      idx = h.q_next;
    }
    return kNil;
  }
  std::uint32_t fallback = kNil;
  if (q.fifo()) {
    // Second chance: an entry used since it was queued goes to the back.
    for (std::uint32_t idx = q.head(0); idx != kNil && inspected < kEvictInspect; ++inspected) {
      EntryHeader& h = s.slab.h(idx);
      std::uint32_t next = h.q_next;
      if (h.refs == 0) {
        if (!(h.flags & EntryHeader::kTouched)) {
          expire = h.expire;
          return idx;
        }
        h.flags &= static_cast<std::uint8_t>(~EntryHeader::kTouched);
        q.remove(s.slab, idx);
        q.push(s.slab, idx, 0);
        if (fallback == kNil) fallback = idx;
      }
      idx = next;
    }
    if (fallback != kNil) expire = s.slab.h(fallback).expire;
    return fallback;
  }
  std::uint32_t fallback_expire = 0;
  for (std::uint32_t k = 0; k < q.buckets() && inspected < kEvictInspect; ++k) {
    const std::uint8_t slot = q.slot_at(k);
    for (std::uint32_t idx = q.head(slot); idx != kNil && inspected < kEvictInspect; ++inspected) {
      EntryHeader& h = s.slab.h(idx);
      std::uint32_t next = h.q_next;
      if (h.refs == 0) {
        std::uint8_t proper = q.slot_for(h.expire);
        if (tick_expired(h.expire, now.tick_ms) || (h.flags & EntryHeader::kDeleted) ||
            (proper == slot && !expired_only)) {
          expire = h.expire;
          return idx;
        }
        // Touched since it was queued: move it where it belongs.
        q.remove(s.slab, idx);
        q.push(s.slab, idx, proper);
        if (fallback == kNil || tick_diff(h.expire, fallback_expire) > 0) {
          fallback = idx;
          fallback_expire = h.expire;
        }
      }
      idx = next;
    }
  }
  if (expired_only) return kNil;
  expire = fallback_expire;
  return fallback;
}

void StickTable::free_entry(Shard& s, std::uint32_t idx) {
  EntryHeader& h = s.slab.h(idx);
  s.index.erase(s.slab, idx, hash(entry(s, idx).key()));
  s.queue.remove(s.slab, idx);
  invalidate_listing(s, idx);  // the slot may come to hold another key
  if (h.flags & EntryHeader::kDeleted) tombstones_.fetch_sub(1, std::memory_order_relaxed);
  s.slab.free(idx);
  count_.fetch_sub(1, std::memory_order_relaxed);
}

// Kills the entry's listing in `pending` (if any): a change made from now
// on is listed again, after whatever is listed now.
void StickTable::invalidate_listing(Shard& s, std::uint32_t idx) {
  EntryHeader& h = s.slab.h(idx);
  if (!(h.flags & EntryHeader::kDirty)) return;
  h.flags &= static_cast<std::uint8_t>(~EntryHeader::kDirty);
  // Before the 8-bit generation wraps, drop dead listings, so that no old
  // listing of this slot can look alive again.
  if (h.list_gen == 255) compact_pending(s);
  ++h.list_gen;
}

void StickTable::touch_entry(Shard&, std::uint32_t, EntryRef e, StickNow now) {
  // Tables without expiry keep the last use in `expire` (eviction compares it).
  e.h().expire = now.tick_ms + def_.expire_ms;
  if (!def_.expire_ms) e.h().flags |= EntryHeader::kTouched;
}

void StickTable::set_expire(Shard& s, std::uint32_t idx, std::uint32_t expire) {
  EntryHeader& h = s.slab.h(idx);
  bool earlier = tick_diff(expire, h.expire) > 0;
  h.expire = expire;
  // The queue's invariant: an entry never sits in a bucket after its expiry's.
  if (earlier) {
    s.queue.remove(s.slab, idx);
    s.queue.push(s.slab, idx);
  }
}

void StickTable::changed_local(Shard& s, std::uint32_t idx, EntryRef e, StickNow now) {
  EntryHeader& h = e.h();
  h.origin = 0;
  // A local write always beats the version it modifies, even when that one
  // came from a peer whose clock runs ahead (last-writer-wins stays causal).
  h.set_origin_us(std::max(now.wall_us, h.origin_us() + 1));
  mark_dirty(s, idx);
}

void StickTable::mark_dirty(Shard& s, std::uint32_t idx) {
  if (!replicated_) return;
  EntryHeader& h = s.slab.h(idx);
  if (h.flags & EntryHeader::kDirty) return;  // already listed: changes coalesce
  h.flags |= EntryHeader::kDirty;
  if (s.pending.empty()) now_pending(s);
  s.pending.push_back(Shard::item(idx, h.list_gen));
  // Dead listings pile up only when nobody collects for long (no Watch
  // stream, no maintenance tick): compacting keeps the list bounded then.
  if (s.pending.size() > 2 * (s.index.size() + s.tombstones.size()) + 1024) compact_pending(s);
}

void StickTable::now_pending(Shard& s) {
  pending_shards_.fetch_or(std::uint64_t{1} << static_cast<std::uint32_t>(&s - shards_.get()),
                           std::memory_order_acq_rel);
  if (signal_) signal_->notify();  // after the bit: the woken collector sees it
}

bool StickTable::listed(const Shard& s, std::uint64_t item) const {
  const EntryHeader& h = s.slab.h(Shard::item_index(item));
  constexpr std::uint8_t want = EntryHeader::kInUse | EntryHeader::kDirty;
  return (h.flags & want) == want && h.list_gen == Shard::item_gen(item);
}

// Drops dead listings (and duplicates), keeping the order of the rest.
void StickTable::compact_pending(Shard& s) {
  std::size_t out = 0;
  for (std::uint64_t item : s.pending) {
    if (!(item & Shard::kTombstoneItem)) {
      if (!listed(s, item)) continue;
      EntryHeader& h = s.slab.h(Shard::item_index(item));
      if (h.flags & EntryHeader::kSeen) continue;
      h.flags |= EntryHeader::kSeen;
    }
    s.pending[out++] = item;
  }
  s.pending.resize(out);
  for (std::uint64_t item : s.pending)
    if (!(item & Shard::kTombstoneItem))
      s.slab.h(Shard::item_index(item)).flags &= static_cast<std::uint8_t>(~EntryHeader::kSeen);
}

void StickTable::read_values(EntryRef e, StickNow now, StickValues& out) const {
  for (const DataDef& d : def_.store) {
    auto i = static_cast<std::size_t>(d.type);
    out.stored |= 1u << i;
    switch (data_type_info(d.type).kind) {
      case ValueKind::u32:
        out.value[i] = e.load<std::uint32_t>(d.type);
        break;
      case ValueKind::u64:
        out.value[i] = e.load<std::uint64_t>(d.type);
        break;
      case ValueKind::rate:
        out.value[i] = freq_read(e.load<FreqCtr>(d.type), d.period_ms, now.tick_ms);
        break;
      case ValueKind::server:
        out.server = server(e.load<ServerRef>(d.type));
        out.value[i] = out.server.id;
        break;
    }
  }
  out.refs = e.h().refs;
  out.expire_in_ms = def_.expire_ms ? tick_remain(now.tick_ms, e.h().expire) : 0;
}

// ---- Data path ----------------------------------------------------------------

StickRef StickTable::track(KeyView key, StickNow now) {
  const std::uint64_t h = hash(key);
  std::uint32_t si;
  Shard& s = shard_of(h, si);
  std::lock_guard lock(s.mutex);
  std::uint32_t idx = get_or_create(s, si, key, h, now);
  if (idx == kNil) return {};
  EntryRef e = entry(s, idx);
  ++e.h().refs;
  if (e.stores(DataType::conn_cur)) e.store(DataType::conn_cur, e.load<std::uint32_t>(DataType::conn_cur) + 1);
  if (e.stores(DataType::conn_cnt)) e.store(DataType::conn_cnt, e.load<std::uint32_t>(DataType::conn_cnt) + 1);
  if (e.stores(DataType::conn_rate)) {
    FreqCtr c = e.load<FreqCtr>(DataType::conn_rate);
    freq_update(c, e.period(DataType::conn_rate), now.tick_ms, 1);
    e.store(DataType::conn_rate, c);
  }
  touch_entry(s, idx, e, now);
  changed_local(s, idx, e, now);
  return StickRef(this, si << kRefShardShift | idx);
}

void StickTable::untrack(StickRef& ref, StickNow now) {
  if (ref.table_ == this) release(ref, &now);
}

void StickTable::release(StickRef& ref, const StickNow* now) {
  Shard& s = shards_[ref.ref_ >> kRefShardShift];
  const std::uint32_t idx = ref.ref_ & kRefIndexMask;
  ref.table_ = nullptr;
  std::lock_guard lock(s.mutex);
  EntryRef e = entry(s, idx);
  if (e.h().refs > 0) --e.h().refs;
  if (e.stores(DataType::conn_cur)) {
    std::uint32_t cur = e.load<std::uint32_t>(DataType::conn_cur);
    if (cur > 0) e.store(DataType::conn_cur, cur - 1);
    if (now) {
      touch_entry(s, idx, e, *now);
      changed_local(s, idx, e, *now);
    } else {
      // Released without a time (a StickRef destroyed while held): still a
      // local change, stamped just after the version it modifies.
      changed_local(s, idx, e, StickNow{0, e.h().origin_us() + 1});
    }
  }
}

void StickTable::count(const StickRef& ref, StickEvent what, std::uint64_t amount, StickNow now) {
  DataType cnt, rate;
  switch (what) {
    case StickEvent::session:
      cnt = DataType::sess_cnt, rate = DataType::sess_rate;
      break;
    case StickEvent::http_request:
      cnt = DataType::http_req_cnt, rate = DataType::http_req_rate;
      break;
    case StickEvent::http_error:
      cnt = DataType::http_err_cnt, rate = DataType::http_err_rate;
      break;
    case StickEvent::bytes_in:
      cnt = DataType::bytes_in_cnt, rate = DataType::bytes_in_rate;
      break;
    case StickEvent::bytes_out:
      cnt = DataType::bytes_out_cnt, rate = DataType::bytes_out_rate;
      break;
    default:
      return;
  }
  if (!ref || ref.table_ != this || (!layout_.stores(cnt) && !layout_.stores(rate))) return;
  Shard& s = shards_[ref.ref_ >> kRefShardShift];
  const std::uint32_t idx = ref.ref_ & kRefIndexMask;
  std::lock_guard lock(s.mutex);
  EntryRef e = entry(s, idx);
  if (e.stores(cnt)) {
    if (data_type_info(cnt).kind == ValueKind::u64)
      e.store(cnt, e.load<std::uint64_t>(cnt) + amount);
    else
      e.store(cnt, sat_add32(e.load<std::uint32_t>(cnt), amount));
  }
  if (e.stores(rate)) {
    FreqCtr c = e.load<FreqCtr>(rate);
    freq_update(c, e.period(rate), now.tick_ms, amount);
    e.store(rate, c);
  }
  touch_entry(s, idx, e, now);
  changed_local(s, idx, e, now);
}

namespace {
DataType gpc_type(int which) { return which == 0 ? DataType::gpc0 : DataType::gpc1; }
DataType gpc_rate_type(int which) { return which == 0 ? DataType::gpc0_rate : DataType::gpc1_rate; }
}  // namespace

std::uint32_t StickTable::inc_gpc_locked(Shard& s, std::uint32_t idx, int which, StickNow now) {
  const DataType g = gpc_type(which), gr = gpc_rate_type(which);
  EntryRef e = entry(s, idx);
  std::uint32_t v = 0;
  if (e.stores(gr)) {
    FreqCtr c = e.load<FreqCtr>(gr);
    freq_update(c, e.period(gr), now.tick_ms, 1);
    e.store(gr, c);
  }
  if (e.stores(g)) {
    v = sat_add32(e.load<std::uint32_t>(g), 1);
    e.store(g, v);
  }
  if (e.stores(g) || e.stores(gr)) {
    touch_entry(s, idx, e, now);
    changed_local(s, idx, e, now);
  }
  return v;
}

std::uint32_t StickTable::clr_gpc_locked(Shard& s, std::uint32_t idx, int which, StickNow now) {
  const DataType g = gpc_type(which);
  EntryRef e = entry(s, idx);
  if (!e.stores(g)) return 0;
  std::uint32_t before = e.load<std::uint32_t>(g);
  e.store(g, std::uint32_t{0});
  touch_entry(s, idx, e, now);
  changed_local(s, idx, e, now);
  return before;
}

std::uint32_t StickTable::inc_gpc(const StickRef& ref, int which, StickNow now) {
  if (!ref || ref.table_ != this) return 0;
  Shard& s = shards_[ref.ref_ >> kRefShardShift];
  std::lock_guard lock(s.mutex);
  return inc_gpc_locked(s, ref.ref_ & kRefIndexMask, which, now);
}

std::uint32_t StickTable::clr_gpc(const StickRef& ref, int which, StickNow now) {
  if (!ref || ref.table_ != this) return 0;
  Shard& s = shards_[ref.ref_ >> kRefShardShift];
  std::lock_guard lock(s.mutex);
  return clr_gpc_locked(s, ref.ref_ & kRefIndexMask, which, now);
}

std::uint64_t StickTable::read_value(EntryRef e, DataType type, StickNow now) const {
  switch (data_type_info(type).kind) {
    case ValueKind::u32:
      return e.load<std::uint32_t>(type);
    case ValueKind::u64:
      return e.load<std::uint64_t>(type);
    case ValueKind::rate:
      return freq_read(e.load<FreqCtr>(type), e.period(type), now.tick_ms);
    case ValueKind::server:
      return server(e.load<ServerRef>(type)).id;
  }
  return 0;
}

std::uint64_t StickTable::get(const StickRef& ref, DataType type, StickNow now) const {
  if (!ref || ref.table_ != this || !layout_.stores(type)) return 0;
  const Shard& s = shards_[ref.ref_ >> kRefShardShift];
  std::lock_guard lock(s.mutex);
  return read_value(entry(s, ref.ref_ & kRefIndexMask), type, now);
}

std::optional<std::uint64_t> StickTable::lookup(KeyView key, DataType type, StickNow now) const {
  if (!layout_.stores(type)) return std::nullopt;
  const std::uint64_t h = hash(key);
  std::uint32_t si;
  Shard& s = shard_of(h, si);
  std::lock_guard lock(s.mutex);
  std::uint32_t idx = find(s, key, h);
  if (idx == kNil || !live(s.slab.h(idx), now.tick_ms)) return std::nullopt;
  return read_value(entry(s, idx), type, now);
}

StickValues StickTable::read(const StickRef& ref, StickNow now) const {
  StickValues v;
  if (!ref || ref.table_ != this) return v;
  const Shard& s = shards_[ref.ref_ >> kRefShardShift];
  std::lock_guard lock(s.mutex);
  read_values(entry(s, ref.ref_ & kRefIndexMask), now, v);
  return v;
}

std::optional<StickValues> StickTable::lookup(KeyView key, StickNow now) const {
  const std::uint64_t h = hash(key);
  std::uint32_t si;
  Shard& s = shard_of(h, si);
  std::lock_guard lock(s.mutex);
  std::uint32_t idx = find(s, key, h);
  if (idx == kNil || !live(s.slab.h(idx), now.tick_ms)) return std::nullopt;
  StickValues v;
  read_values(entry(s, idx), now, v);
  return v;
}

std::optional<StickServer> StickTable::match_server(KeyView key, StickNow now) {
  if (!layout_.stores(DataType::server_id)) return std::nullopt;
  const std::uint64_t h = hash(key);
  std::uint32_t si;
  Shard& s = shard_of(h, si);
  std::lock_guard lock(s.mutex);
  std::uint32_t idx = find(s, key, h);
  if (idx == kNil || !live(s.slab.h(idx), now.tick_ms)) return std::nullopt;
  EntryRef e = entry(s, idx);
  touch_entry(s, idx, e, now);
  changed_local(s, idx, e, now);
  ServerRef r = e.load<ServerRef>(DataType::server_id);
  if (!r) return std::nullopt;
  return server(r);
}

bool StickTable::store_server(KeyView key, ServerRef server_ref, StickNow now) {
  if (!layout_.stores(DataType::server_id)) return false;
  const std::uint64_t h = hash(key);
  std::uint32_t si;
  Shard& s = shard_of(h, si);
  std::lock_guard lock(s.mutex);
  std::uint32_t idx = get_or_create(s, si, key, h, now);
  if (idx == kNil) return false;
  EntryRef e = entry(s, idx);
  e.store(DataType::server_id, server_ref);
  touch_entry(s, idx, e, now);
  changed_local(s, idx, e, now);
  return true;
}

std::optional<std::uint32_t> StickTable::inc_gpc(KeyView key, int which, StickNow now, bool create) {
  const std::uint64_t h = hash(key);
  std::uint32_t si;
  Shard& s = shard_of(h, si);
  std::lock_guard lock(s.mutex);
  std::uint32_t idx = create ? get_or_create(s, si, key, h, now) : find(s, key, h);
  if (idx == kNil || !live(s.slab.h(idx), now.tick_ms)) return std::nullopt;
  return inc_gpc_locked(s, idx, which, now);
}

std::optional<std::uint32_t> StickTable::clr_gpc(KeyView key, int which, StickNow now, bool create) {
  const std::uint64_t h = hash(key);
  std::uint32_t si;
  Shard& s = shard_of(h, si);
  std::lock_guard lock(s.mutex);
  std::uint32_t idx = create ? get_or_create(s, si, key, h, now) : find(s, key, h);
  if (idx == kNil || !live(s.slab.h(idx), now.tick_ms)) return std::nullopt;
  return clr_gpc_locked(s, idx, which, now);
}

bool StickTable::contains(KeyView key, StickNow now) const {
  const std::uint64_t h = hash(key);
  std::uint32_t si;
  Shard& s = shard_of(h, si);
  std::lock_guard lock(s.mutex);
  std::uint32_t idx = find(s, key, h);
  return idx != kNil && live(s.slab.h(idx), now.tick_ms);
}

bool StickTable::key_of(const StickRef& ref, KeyBuf& out) const {
  if (!ref || ref.table_ != this) return false;
  const Shard& s = shards_[ref.ref_ >> kRefShardShift];
  std::lock_guard lock(s.mutex);
  KeyView k = entry(s, ref.ref_ & kRefIndexMask).key();
  std::memcpy(out.data(), k.data, k.size);
  out.set_size(k.size);
  return true;
}

bool StickTable::touch(KeyView key, StickNow now) {
  const std::uint64_t h = hash(key);
  std::uint32_t si;
  Shard& s = shard_of(h, si);
  std::lock_guard lock(s.mutex);
  std::uint32_t idx = find(s, key, h);
  if (idx == kNil || !live(s.slab.h(idx), now.tick_ms)) return false;
  EntryRef e = entry(s, idx);
  touch_entry(s, idx, e, now);
  changed_local(s, idx, e, now);
  return true;
}

// ---- Maintenance ------------------------------------------------------------

bool StickTable::expire(StickNow now, std::uint32_t budget) {
  if (def_.expire_ms == 0) return false;
  bool more = false;
  for (std::uint32_t i = 0; i < nshards_; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lock(s.mutex);
    std::uint32_t n = 0;
    for (std::uint32_t idx; n < budget && (idx = s.queue.due(now.tick_ms)) != kNil; ++n) {
      EntryHeader& h = s.slab.h(idx);
      if (h.refs > 0) {
        // In use: cannot expire. Park it at the far end; untrack() refreshes it.
        s.queue.remove(s.slab, idx);
        s.queue.push(s.slab, idx, s.queue.last_slot());
      } else if (tick_expired(h.expire, now.tick_ms)) {
        free_entry(s, idx);
      } else {
        s.queue.remove(s.slab, idx);  // touched since queued: to its proper bucket
        s.queue.push(s.slab, idx);
      }
    }
    if (n == budget) more = true;
  }
  return more;
}

}  // namespace tandem::balancer::stick
