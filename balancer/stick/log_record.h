#pragma once
// What the change log keeps per change: 8 bytes naming the table and the
// entry (not a copy of it), and who made the change. A reader copies the entry's current state when it
// gets to the record, and skips records whose entry has changed again since
// (a later record exists) or is gone: that is how many changes to one hot key
// coalesce into its latest state, however far behind the reader is.
//
// A delete cannot name an entry that no longer exists, so it carries its key
// and origin beside the record (LoggedTombstone).

#include <cstdint>
#include <string>

namespace tandem::balancer::stick {

struct LogRecord {
  static constexpr std::uint32_t kTombstone = 0x80000000u;
  static constexpr std::uint32_t kMaxTableId = (1u << 24) - 1;
  std::uint32_t table_id : 24 = 0;
  // The entry's origin node when the change was logged: a reader skips a
  // peer's own changes (echoes) without taking the entry's shard lock. If the
  // entry changes again, a later record carries the new origin; this record
  // is then stale anyway (the entry's seq moved on).
  std::uint32_t origin : 8 = 0;
  std::uint32_t ref = 0;  // shard << 25 | slot, or kTombstone
};
static_assert(sizeof(LogRecord) == 8, "the log keeps 8 bytes per change");

struct LoggedTombstone {
  std::uint64_t seq = 0;
  std::uint32_t table_id = 0;
  std::string key;
  std::uint8_t origin = 0;
  std::int64_t origin_us = 0;
};

}  // namespace tandem::balancer::stick
