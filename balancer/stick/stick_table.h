#pragma once
// A stick table: a bounded, sharded map from keys to counters and a sticky
// server, with expiry, and (for replicated tables) a record of what changed
// for the change log (change_log.h) that Watch streams read.
//
// ## Threads and locks
// The key space is split over 8..64 shards by hash; each shard has its own
// mutex, slab of entries, hash index, expiry queue and pending-change list.
// Every data-path call takes exactly one shard lock, briefly, and allocates
// nothing when the key exists. (Creating a key may allocate a slab chunk or
// grow the shard's index; the pending list keeps its capacity between
// collections.) No call holds two shard locks at once, except that creating a
// key in a full table may try_lock() other shards to evict from them; it never
// blocks on a second lock, so lock order cannot deadlock. Table-wide state is
// atomics (the entry count) or immutable after create().
//
// ## Time
// Every call takes a StickNow sampled by the caller (stick_time.h). Nothing
// here reads a clock.
//
// ## Bounded memory
// Never more than `size` entries: the entry count is reserved atomically
// before an entry is created. When full, the entry closest to expiry (to
// within 1/62 of `expire`, see expiry_queue.h) and not in use is evicted: of
// the whole table up to 64k entries; above, of the key's shard (a random 1/64
// sample of the table, so among the table's ~64 oldest), other shards only if
// that one has nothing evictable. Tables without `expire` evict the least
// recently used (second chance). With `nopurge`, a new key is refused instead. Expired entries read as absent at
// once; their memory is reclaimed by expire(), which the control thread calls
// with a budget (never a stop-the-world scan).
//
// ## The reference rule
// track() returns a StickRef that holds a reference on the entry (HAProxy's
// ref_cnt) until untrack() (or the StickRef's destruction). An entry with
// references is never evicted, never expired and never removed by clear or
// by a replicated delete (a delete resets its values instead, see apply()),
// so a session can keep using its StickRef without a lookup and without
// fear of it pointing at another key. Keep references short-lived (a
// session's lifetime): a full `nopurge` table of referenced entries refuses
// new keys.
//
// ## HAProxy's track-sc, mapped
//   track-sc (tcp-request connection|content, http-request)  t.track(key, now)
//       counts conn_cnt, conn_cur, conn_rate (stream_start_counters)
//   http-request track-sc: also t.count(ref, StickEvent::http_request, 1, now)
//   new session on tracked counters     t.count(ref, StickEvent::session, 1, now)
//   each HTTP request                   t.count(ref, StickEvent::http_request, 1, now)
//   a 4xx response                      t.count(ref, StickEvent::http_error, 1, now)
//   bytes forwarded                     t.count(ref, StickEvent::bytes_in / bytes_out, n, now)
//   session end                         t.untrack(ref, now)   (conn_cur--)
//   sc_inc_gpc0 / sc_clr_gpc0           t.inc_gpc(ref, 0, now) / t.clr_gpc(ref, 0, now)
//   sc0_http_req_rate, sc_get_gpc0...   t.get(ref, DataType::http_req_rate, now)
//   src_http_req_rate(T), src_get_gpc0  t.lookup(key, DataType::..., now)   (no entry created)
//   src_inc_gpc0(T)                     t.inc_gpc(key, 0, now)  (creates the entry)
//   stick match / stick on (match)      t.match_server(key, now)
//   stick store-* / stick on (store)    t.store_server(key, ref, now)
//
// Every call that changes an entry refreshes its expiry (HAProxy's
// stktable_touch_local) and, in a replicated table, marks it changed.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "balancer/stick/entry_image.h"
#include "balancer/stick/log_record.h"
#include "balancer/stick/name_pool.h"
#include "balancer/stick/stick_entry.h"
#include "balancer/stick/stick_key.h"
#include "balancer/stick/stick_types.h"
#include "common/error.h"

namespace tandem::balancer::stick {

class ChangeSignal;
class StickTable;
struct Shard;

// A tracked entry (see "The reference rule"). Move-only. Release it with
// StickTable::untrack(); destroying a StickRef still held releases it too
// (conn_cur--, without refreshing the expiry), so a forgotten one cannot pin
// an entry forever. The table must outlive it: the runtime keeps a table
// alive (shared_ptr) while connections of the runtime that used it remain.
class StickRef {
 public:
  StickRef() = default;
  StickRef(StickRef&& o) noexcept : table_(o.table_), ref_(o.ref_) { o.table_ = nullptr; }
  StickRef& operator=(StickRef&& o) noexcept;
  StickRef(const StickRef&) = delete;
  StickRef& operator=(const StickRef&) = delete;
  ~StickRef();

  explicit operator bool() const { return table_ != nullptr; }
  StickTable* table() const { return table_; }

 private:
  friend class StickTable;
  StickRef(StickTable* t, std::uint32_t ref) : table_(t), ref_(ref) {}
  StickTable* table_ = nullptr;
  std::uint32_t ref_ = 0;  // shard << 25 | slot index
};

// What a tracked session reports (see the HAProxy mapping above).
enum class StickEvent : std::uint8_t { session, http_request, http_error, bytes_in, bytes_out };

// The result of applying one replicated entry.
enum class ApplyOutcome : std::uint8_t {
  applied,  // stored (or a delete carried out, or nothing to delete)
  stale,    // the table holds this version or a later one: unchanged
  full,     // a new key in a full `nopurge` table (or nothing evictable)
};

class StickTable {
 public:
  struct Options {
    std::uint32_t id = 0;            // the registry's id for the table (log records name it)
    std::uint64_t seed = 0;          // hash seed: random per table in production
    ChangeSignal* signal = nullptr;  // replicated tables: woken when changes are pending
    std::uint32_t max_servers = 65536;
  };
  // Validates the definition (as the parser does) and builds the shards.
  static Result<std::shared_ptr<StickTable>> create(TableDef def, Options options, StickNow now);
  ~StickTable();
  StickTable(const StickTable&) = delete;
  StickTable& operator=(const StickTable&) = delete;

  const TableDef& def() const { return def_; }
  const std::string& name() const { return def_.name; }
  KeyFormat key_format() const { return KeyFormat::of(def_); }
  std::uint32_t id() const { return id_; }
  // Live entries (tombstones of deleted keys are not counted here, though
  // they hold a slot until they expire: see apply()).
  std::uint64_t entries() const {
    return count_.load(std::memory_order_relaxed) - tombstones_.load(std::memory_order_relaxed);
  }
  // The sequence number of the table's last collected change (0: none).
  std::uint64_t last_seq() const { return last_seq_.load(std::memory_order_relaxed); }
  std::uint32_t shard_count() const { return nshards_; }
  // Bytes held by slabs and indexes (for the memory benchmark and status).
  std::size_t memory_bytes() const;

  // ---- Servers (control plane: configuration load) ---------------------
  // The reference entries store for server `name`, whose local numeric id
  // is `id` (0: no local server by that name). Calling it again on reload
  // updates the id. nullopt when the pool (max_servers names) is full.
  std::optional<ServerRef> server_ref(std::string_view name, std::uint32_t id = 0);
  // Lock-free.
  std::string_view server_name(ServerRef ref) const { return ref ? servers_.name(ref - 1) : std::string_view(); }
  StickServer server(ServerRef ref) const { return ref ? StickServer{ref, servers_.value(ref - 1)} : StickServer{}; }

  // ---- Data path (workers) ---------------------------------------------
  // Finds or creates `key`'s entry, takes a reference, counts conn_cnt,
  // conn_cur and conn_rate. Empty when the table is full and `nopurge` (or
  // nothing can be evicted) or the key has the wrong size for the table.
  StickRef track(KeyView key, StickNow now);
  // conn_cur-- (if stored; never below 0), refresh, release the reference.
  void untrack(StickRef& ref, StickNow now);
  // Counts `amount` events of a kind into every stored counter it feeds.
  void count(const StickRef& ref, StickEvent what, std::uint64_t amount, StickNow now);
  // gpc0/gpc1 (which = 0/1): increments (and its *_rate); returns the new
  // value (0 when not stored). clr returns the value before clearing.
  std::uint32_t inc_gpc(const StickRef& ref, int which, StickNow now);
  std::uint32_t clr_gpc(const StickRef& ref, int which, StickNow now);
  // One stored value now (rates: events over the period); 0 when not stored.
  std::uint64_t get(const StickRef& ref, DataType type, StickNow now) const;
  StickValues read(const StickRef& ref, StickNow now) const;

  // Key-based calls (no reference kept).
  // Every stored value; nullopt when there is no live entry. Creates nothing,
  // refreshes nothing (src_* fetches).
  std::optional<StickValues> lookup(KeyView key, StickNow now) const;
  // One value of the live entry of `key` (what a src_* fetch needs; cheaper
  // than lookup()); nullopt when no live entry or the type is not stored.
  std::optional<std::uint64_t> lookup(KeyView key, DataType type, StickNow now) const;
  // The server `key` sticks to, refreshing the entry; nullopt when no live
  // entry or no server stored.
  std::optional<StickServer> match_server(KeyView key, StickNow now);
  // Sticks `key` to `server` (creating the entry). False when refused (full).
  bool store_server(KeyView key, ServerRef server, StickNow now);
  // Creates the entry if needed (as HAProxy's src_inc_gpc0 / src_clr_gpc0);
  // with `create` false, nullopt when there is no live entry (sc0_inc_gpc0(T)
  // on another table than the tracked one changes only an existing entry).
  std::optional<std::uint32_t> inc_gpc(KeyView key, int which, StickNow now, bool create = true);
  std::optional<std::uint32_t> clr_gpc(KeyView key, int which, StickNow now, bool create = true);
  // True when `key` has a live entry (the in_table converter).
  bool contains(KeyView key, StickNow now) const;
  // Copies the key of a tracked entry (to look it up in another table, as
  // sc0_get_gpc0(T) does). False when `ref` is not of this table.
  bool key_of(const StickRef& ref, KeyBuf& out) const;
  // Refreshes the expiry of an existing entry; false when none.
  bool touch(KeyView key, StickNow now);

  // ---- Maintenance (control thread) ------------------------------------
  // Frees up to `budget` expired entries per shard. True when more remain.
  bool expire(StickNow now, std::uint32_t budget);

  // ---- Replication and administration (control plane) ------------------
  // Stores an entry learned from a peer, if it is newer than what the table
  // holds by (origin_us, origin node name). The entry keeps its origin;
  // `origin` is its node's id in `nodes`. The expiry is set to the entry's
  // remaining time (at most the table's `expire`). A delete removes the key;
  // a key in use (referenced) is reset instead: its server and values are
  // cleared, except conn_cur which counts its live sessions. `in` must have
  // passed validate_incoming().
  // `server` is in.server_name's reference (intern_server()), 0 for none.
  ApplyOutcome apply(const IncomingEntry& in, std::uint8_t origin, ServerRef server, const NamePool& nodes,
                     StickNow now);
  // The reference for a server name learned from a peer, added without a
  // local id (nullopt when the pool is full).
  std::optional<ServerRef> intern_server(std::string_view name) {
    auto i = servers_.intern(name);
    return i ? std::optional<ServerRef>(*i + 1) : std::nullopt;
  }

  // Sets an entry's server (when `server_name` is not empty) and the given
  // values; others unchanged; creates it if needed. A local change.
  Result<void> set_values(KeyView key, std::string_view server_name, std::span<const IncomingDatum> data, StickNow now);
  // Removes one key unless in use (HAProxy's `clear table T key K`). A
  // replicated table logs a delete.
  bool erase(KeyView key, StickNow now);
  // Removes every entry not in use; returns how many.
  std::uint64_t clear(StickNow now);

  // Copies of entries for Watch snapshots, Admin.ShowTable and tests.
  // `head` is the change log's head, to rebuild 64-bit sequence numbers.
  struct ScanPos {
    std::uint32_t shard = 0;
    std::uint32_t slot = 0;
  };
  // Appends up to `max` live entries from `pos` on; pos.shard ==
  // shard_count() when the whole table was visited. Holds each shard lock for
  // at most a few hundred entries at a time.
  std::size_t scan(ScanPos& pos, std::size_t max, StickNow now, std::uint64_t head, ImageBatch& out) const;
  bool scan_done(const ScanPos& pos) const { return pos.shard >= nshards_; }
  // The entry of `key`, if live.
  bool image_of_key(KeyView key, StickNow now, std::uint64_t head, ImageBatch& out) const;
  // The entry a log record names, if it still is the version that record
  // logged (`seq`); false when superseded, expired or gone, or when its
  // origin is node `skip_origin` (>= 0: echo suppression).
  bool image_of_ref(std::uint32_t ref, std::uint64_t seq, int skip_origin, StickNow now, ImageBatch& out) const;

  // ---- Change collection (the registry's sequencer only) ---------------
  // Gives every pending change of this table the next sequence numbers, in
  // the order they happened per shard: appends one record per change and
  // the tombstones' payloads. See change_log.h.
  void collect(std::uint64_t& next_seq, std::vector<LogRecord>& records, std::vector<LoggedTombstone>& tombstones);
  // True (once) when pending changes had to be dropped (too many deletes
  // with nobody collecting): the log must then force snapshots.
  bool take_lost() { return lost_.exchange(false, std::memory_order_acq_rel); }

 private:
  friend class StickRef;
  StickTable(TableDef def, Options options, StickNow now);

  struct Found {
    Shard* shard;
    std::uint32_t shard_index;
    std::uint32_t idx;  // kNil: absent
  };
  Shard& shard_of(std::uint64_t hash, std::uint32_t& index) const;
  std::uint64_t hash(KeyView key) const { return hash_key(key, seed_); }
  EntryRef entry(const Shard& s, std::uint32_t idx) const;
  bool live(const EntryHeader& h, std::uint32_t now) const;

  // All below: the shard's lock is held.
  std::uint32_t find(Shard& s, KeyView key, std::uint64_t hash) const;
  std::uint32_t get_or_create(Shard& s, std::uint32_t shard_index, KeyView key, std::uint64_t hash, StickNow now);
  std::uint32_t create(Shard& s, std::uint32_t shard_index, KeyView key, std::uint64_t hash, StickNow now,
                       bool may_evict = true);
  void init_entry(Shard& s, std::uint32_t idx, StickNow now);
  bool reserve(Shard& s, std::uint32_t shard_index, StickNow now, bool may_evict);
  bool evict_one(Shard& s, std::uint32_t si, StickNow now, bool expired_only);
  std::uint32_t victim(Shard& s, StickNow now, bool expired_only, std::uint32_t& expire);
  void free_entry(Shard& s, std::uint32_t idx);
  void delete_logged(Shard& s, std::uint32_t idx, std::uint8_t origin, std::int64_t origin_us, StickNow now);
  void invalidate_listing(Shard& s, std::uint32_t idx);
  bool listed(const Shard& s, std::uint64_t item) const;
  void touch_entry(Shard& s, std::uint32_t idx, EntryRef e, StickNow now);
  void set_expire(Shard& s, std::uint32_t idx, std::uint32_t expire);
  void changed_local(Shard& s, std::uint32_t idx, EntryRef e, StickNow now);
  void mark_dirty(Shard& s, std::uint32_t idx);
  // `s`'s pending list is about to go non-empty: flag the shard, wake watchers.
  void now_pending(Shard& s);
  void compact_pending(Shard& s);
  void copy_image(const Shard& s, std::uint32_t idx, StickNow now, std::uint64_t head, ImageBatch& out) const;
  void read_values(EntryRef e, StickNow now, StickValues& out) const;
  std::uint64_t read_value(EntryRef e, DataType type, StickNow now) const;
  std::uint32_t inc_gpc_locked(Shard& s, std::uint32_t idx, int which, StickNow now);
  std::uint32_t clr_gpc_locked(Shard& s, std::uint32_t idx, int which, StickNow now);
  void release(StickRef& ref, const StickNow* now);

  const TableDef def_;
  const EntryLayout layout_;
  const std::uint32_t id_;
  const std::uint64_t seed_;
  ChangeSignal* const signal_;
  const bool replicated_;
  const std::uint32_t nshards_;
  const std::uint32_t shard_shift_;  // hash >> shard_shift_ is the shard
  std::unique_ptr<Shard[]> shards_;
  NamePool servers_;
  std::atomic<std::uint64_t> count_{0};  // slots in use: entries and tombstones (<= size)
  std::atomic<std::uint64_t> tombstones_{0};
  std::atomic<std::uint64_t> last_seq_{0};
  std::atomic<bool> lost_{false};
  // Bit i: shard i's pending list went non-empty since collect() last took
  // it (set under that shard's lock; nshards_ <= 64). collect() locks only
  // those shards: a Watch woken for one change does not take 64 locks.
  std::atomic<std::uint64_t> pending_shards_{0};
};

}  // namespace tandem::balancer::stick
