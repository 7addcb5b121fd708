#pragma once
// How an entry sits in memory (internal to the stick table).
//
// An entry is one fixed-size slot in its shard's slab: a 36-byte header, the
// key, then the stored values at offsets computed once per table from its
// `store` list (as HAProxy's data_ofs). A 1M-entry `type ip` table storing
// server_id and http_req_rate uses 56 bytes per entry; HAProxy's stksess with
// its three ebtree nodes and lock is about 3x that.
//
// Every field is read and written under the owning shard's lock.

#include <array>
#include <cstdint>
#include <cstring>

#include "balancer/stick/freq_ctr.h"
#include "balancer/stick/stick_key.h"
#include "balancer/stick/stick_types.h"

namespace tandem::balancer::stick {

inline constexpr std::uint32_t kNil = 0xffffffffu;

struct EntryHeader {
  enum Flags : std::uint8_t {
    kInUse = 1,    // holds a key (else: on the free list)
    kDirty = 2,    // changed since the change log last collected it (listed in the shard's pending list)
    kTouched = 4,  // tables without expiry: used since queued (second-chance eviction)
    kDeleted = 8,  // a tombstone: the key was deleted; only its version (origin) is kept
    kSeen = 16,    // scratch for compacting the pending list (always clear otherwise)
  };
  std::uint32_t hash_next;  // next free slot when free (the slab's free list)
  std::uint32_t q_prev;     // expiry queue links (see expiry_queue.h)
  std::uint32_t q_next;
  std::uint32_t expire;        // tick at which it expires; tables without expiry: unused
  std::uint32_t seq;           // low 32 bits of the log sequence of its last collected change
  std::uint32_t refs;          // live references: sessions tracking it (never evicted while > 0)
  std::uint32_t origin_us_lo;  // origin time of this version, Unix us, split so the
  std::uint32_t origin_us_hi;  // header stays 4-byte aligned (no padding)
  std::uint8_t origin;         // origin node id in the registry's node pool; 0: this node
  std::uint8_t flags;
  std::uint8_t q_slot;    // which expiry bucket it is queued in
  std::uint8_t list_gen;  // generation of its pending-list listing (kept across free/alloc)

  std::int64_t origin_us() const {
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(origin_us_hi) << 32 | origin_us_lo);
  }
  void set_origin_us(std::int64_t v) {
    origin_us_lo = static_cast<std::uint32_t>(static_cast<std::uint64_t>(v));
    origin_us_hi = static_cast<std::uint32_t>(static_cast<std::uint64_t>(v) >> 32);
  }
};
static_assert(sizeof(EntryHeader) == 36);
static_assert(alignof(EntryHeader) == 4);

// Where the key and each stored value sit; one per table, immutable.
struct EntryLayout {
  std::uint32_t size = 0;                          // bytes per entry (multiple of 4)
  std::uint16_t key_off = 0;                       // the key area
  bool key_has_len = false;                        // string keys: a 2-byte length, then len bytes
  std::uint32_t key_len = 0;                       // TableDef::key_len
  std::uint16_t data_off = 0;                      // the first stored value (4-byte aligned)
  std::array<std::int16_t, kDataTypeCount> off{};  // -1: not stored
  std::array<std::uint32_t, kDataTypeCount> period{};

  static EntryLayout make(const TableDef& def);
  bool stores(DataType t) const { return off[static_cast<std::size_t>(t)] >= 0; }
};

// Access to one entry's bytes. Cheap to build; holds no state of its own.
class EntryRef {
 public:
  EntryRef(std::uint8_t* p, const EntryLayout& l) : p_(p), l_(&l) {}

  EntryHeader& h() const { return *reinterpret_cast<EntryHeader*>(p_); }

  KeyView key() const {
    if (!l_->key_has_len) return {p_ + l_->key_off, l_->key_len};
    std::uint16_t n;
    std::memcpy(&n, p_ + l_->key_off, 2);
    return {p_ + l_->key_off + 2, n};
  }
  void set_key(KeyView k) const {
    if (!l_->key_has_len) {
      std::memcpy(p_ + l_->key_off, k.data, l_->key_len);
      return;
    }
    std::uint16_t n = static_cast<std::uint16_t>(k.size);
    std::memcpy(p_ + l_->key_off, &n, 2);
    if (n) std::memcpy(p_ + l_->key_off + 2, k.data, n);
  }
  bool key_equals(KeyView k) const {
    if (!l_->key_has_len) {  // fixed size: compare words, no memcmp call for 4 or 16 bytes
      if (k.size != l_->key_len) return false;
      const std::uint8_t* a = p_ + l_->key_off;
      if (k.size == 4) return load32(a) == load32(k.data);
      if (k.size == 16) return load64(a) == load64(k.data) && load64(a + 8) == load64(k.data + 8);
      return std::memcmp(a, k.data, k.size) == 0;
    }
    KeyView mine = key();
    return mine.size == k.size && std::memcmp(mine.data, k.data, k.size) == 0;
  }

  bool stores(DataType t) const { return l_->stores(t); }
  std::uint32_t period(DataType t) const { return l_->period[static_cast<std::size_t>(t)]; }

  template <typename T>
  T load(DataType t) const {
    T v;
    std::memcpy(&v, at(t), sizeof v);
    return v;
  }
  template <typename T>
  void store(DataType t, T v) const {
    std::memcpy(at(t), &v, sizeof v);
  }

  // Zeroes every stored value (a new entry, or one reset by a tombstone).
  void clear_data() const { std::memset(p_ + l_->data_off, 0, l_->size - l_->data_off); }

 private:
  std::uint8_t* at(DataType t) const { return p_ + l_->off[static_cast<std::size_t>(t)]; }
  static std::uint32_t load32(const std::uint8_t* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  static std::uint64_t load64(const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }

  std::uint8_t* p_;
  const EntryLayout* l_;
};

}  // namespace tandem::balancer::stick
