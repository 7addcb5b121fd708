#pragma once
// Stick tables: the plain types every part of the balancer shares (the config
// parser, the rules engine, the admin and replication services). Nothing heavy:
// no locks, no containers beyond std::vector and std::string.
//
// Names and semantics follow HAProxy 2.6's `stick-table` (doc/configuration.txt,
// "stick-table" and "4.2. Alphabetically sorted keywords reference").

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::balancer::stick {

// `stick-table type ...`.
enum class KeyType : std::uint8_t {
  ip,       // IPv4, 4 bytes, network order
  ipv6,     // IPv6, 16 bytes, network order; IPv4 is stored v4-mapped
  integer,  // signed 32-bit (HAProxy's `integer`), 4 bytes, host order
  string,   // up to `len` bytes (default 32); longer samples are truncated
  binary,   // exactly `len` bytes (default 32); shorter samples are zero-padded
};

// `store ...`. The numbering is the proto's DataType minus one, so that the
// codec converts by arithmetic; keep both in step.
enum class DataType : std::uint8_t {
  server_id,
  gpc0,
  gpc0_rate,
  gpc1,
  gpc1_rate,
  conn_cnt,
  conn_cur,
  conn_rate,
  sess_cnt,
  sess_rate,
  http_req_cnt,
  http_req_rate,
  http_err_cnt,
  http_err_rate,
  bytes_in_cnt,
  bytes_in_rate,
  bytes_out_cnt,
  bytes_out_rate,
};
inline constexpr std::size_t kDataTypeCount = 18;

// How a stored value is kept in an entry.
enum class ValueKind : std::uint8_t {
  u32,     // unsigned counter (HAProxy's std_t_uint): *_cnt but bytes, conn_cur, gpc0, gpc1
  u64,     // unsigned 64-bit counter (std_t_ull): bytes_in_cnt, bytes_out_cnt
  rate,    // a frequency counter over a period (std_t_frqp), see freq_ctr.h
  server,  // the server a key sticks to: a ServerRef (name + local id)
};

struct DataTypeInfo {
  std::string_view name;  // as `store` writes it
  ValueKind kind;
};

const DataTypeInfo& data_type_info(DataType type);
inline std::string_view data_type_name(DataType type) { return data_type_info(type).name; }
inline bool is_rate(DataType type) { return data_type_info(type).kind == ValueKind::rate; }
std::optional<DataType> data_type_by_name(std::string_view name);
std::string_view key_type_name(KeyType type);

// The longest string/binary key a table may declare (`len`).
inline constexpr std::uint32_t kMaxKeyLen = 1024;
// The default `len` of string and binary keys (HAProxy's).
inline constexpr std::uint32_t kDefaultKeyLen = 32;
// The largest `size`: entry references keep 25 bits of index per shard.
inline constexpr std::uint64_t kMaxTableSize = 1ULL << 30;

// One `store` item.
struct DataDef {
  DataType type = DataType::server_id;
  std::uint32_t period_ms = 0;  // *_rate only: the sliding period
  bool operator==(const DataDef&) const = default;
};

// A `stick-table` line, validated.
struct TableDef {
  std::string name;  // the declaring proxy's name (HAProxy's rule)
  KeyType key_type = KeyType::ip;
  // Bytes of key: ip 4, ipv6 16, integer 4; string and binary: `len`.
  std::uint32_t key_len = 4;
  std::uint64_t size = 0;       // the most entries the table ever holds
  std::uint32_t expire_ms = 0;  // idle lifetime of an entry; 0: entries never expire
  bool nopurge = false;         // when full, refuse new entries instead of evicting
  std::string peers;            // the `peers` section; empty: not replicated
  std::vector<DataDef> store;   // in declaration order, no duplicates
  // Where it was declared, for messages.
  std::string file;
  int line = 0;

  const DataDef* find(DataType type) const;
  bool stores(DataType type) const { return find(type) != nullptr; }
  // Changes are logged (and Watch can stream them) only for tables with a
  // `peers` section: a table nobody replicates pays nothing for the log.
  bool replicated() const { return !peers.empty(); }
  // Adds `type` (a non-rate type) unless already stored. Stick rules call it
  // with server_id, as HAProxy adds server_id to any table a stick rule uses.
  void ensure_stored(DataType type);
};

// A server as an entry references it: `ref` names it stably (StickTable's
// server pool maps it to the name replication carries); `id` is the local
// numeric id (`server ... id N` or its position), 0 when this node has no
// server by that name. ref 0: no server.
using ServerRef = std::uint32_t;
struct StickServer {
  ServerRef ref = 0;
  std::uint32_t id = 0;
};

// The time the data path passes to every call. Workers sample it once per
// event-loop iteration (as HAProxy's now_ms), never per call: see stick_time.h.
struct StickNow {
  std::uint32_t tick_ms = 0;  // monotonic milliseconds, wrapping at 2^32
  std::int64_t wall_us = 0;   // Unix microseconds: the origin time of local changes
};

// Every stored value of an entry at one instant; rates already computed
// (events over the period, HAProxy's read_freq_ctr_period).
struct StickValues {
  std::array<std::uint64_t, kDataTypeCount> value{};
  std::uint32_t stored = 0;  // bit (1 << type) for each stored type
  StickServer server;        // when server_id is stored
  std::uint32_t refs = 0;    // sessions tracking the entry now (HAProxy's "use")
  std::uint32_t expire_in_ms = 0;

  bool has(DataType t) const { return (stored >> static_cast<unsigned>(t)) & 1; }
  std::uint64_t get(DataType t) const { return value[static_cast<std::size_t>(t)]; }
};

}  // namespace tandem::balancer::stick
