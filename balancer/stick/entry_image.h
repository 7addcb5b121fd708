#pragma once
// Plain copies of entries, in and out of the table, without protobuf: what
// Watch snapshots, the change log reader and Admin.ShowTable copy out under a
// shard lock (and convert outside it), and what Apply and SetTableEntry bring
// in. A batch owns its bytes in three flat buffers that keep their capacity
// from batch to batch, so copying entries out allocates nothing per entry.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "balancer/stick/freq_ctr.h"
#include "balancer/stick/stick_key.h"
#include "balancer/stick/stick_types.h"
#include "common/error.h"

namespace tandem::balancer::stick {

class StickTable;

struct DatumImage {
  DataType type = DataType::server_id;
  std::uint64_t value = 0;      // counters
  std::uint32_t period_ms = 0;  // rates
  RateState rate;               // rates
};

struct EntryImage {
  const StickTable* table = nullptr;           // valid while the reader holds the table
  std::uint32_t key_off = 0, key_len = 0;      // in ImageBatch::bytes
  std::uint32_t data_off = 0, data_count = 0;  // in ImageBatch::data, the table's store order
  ServerRef server = 0;                        // name: table->server_name(server)
  std::uint32_t expire_in_ms = 0;              // 0 in tables without expiry
  std::uint32_t refs = 0;
  std::uint8_t origin = 0;  // node id in the registry's node pool
  std::int64_t origin_us = 0;
  std::uint64_t seq = 0;
  bool deleted = false;  // a tombstone: only the key and origin are meaningful
};

struct ImageBatch {
  std::vector<EntryImage> entries;
  std::string bytes;
  std::vector<DatumImage> data;

  KeyView key(const EntryImage& e) const {
    return {reinterpret_cast<const std::uint8_t*>(bytes.data()) + e.key_off, e.key_len};
  }
  std::span<const DatumImage> datums(const EntryImage& e) const {
    return std::span<const DatumImage>(data).subspan(e.data_off, e.data_count);
  }
  void clear() {
    entries.clear();
    bytes.clear();
    data.clear();
  }
  // Roughly what the entries weigh on the wire (for batch size limits).
  std::size_t weight() const { return bytes.size() + entries.size() * 40 + data.size() * 16; }
};

// One value of an entry that comes from outside (a peer, an operator).
struct IncomingDatum {
  DataType type = DataType::server_id;
  std::uint64_t value = 0;
  bool has_rate = false;
  std::uint32_t period_ms = 0;
  RateState rate;
};

// An entry that comes from a peer (Apply). Views into the caller's message.
struct IncomingEntry {
  KeyView key;  // canonical for the table (see stick_key.h)
  std::string_view server_name;
  std::span<const IncomingDatum> data;
  std::int64_t expire_in_ms = 0;
  std::string_view origin_node;
  std::int64_t origin_us = 0;
  bool deleted = false;
};

// Limits on what a peer may send (it is trusted to be a peer, not to be right).
inline constexpr std::size_t kMaxNameLen = 255;

// Checks an untrusted entry against the table it names: key size, data types
// the table stores (each at most once, rates with the table's period),
// values in range, a named origin with a sane timestamp. Pure.
Result<void> validate_incoming(const TableDef& def, const IncomingEntry& in);
// The same checks on values an operator sets (no origin, no key).
Result<void> validate_data(const TableDef& def, std::span<const IncomingDatum> data, bool need_rate_state);

}  // namespace tandem::balancer::stick
