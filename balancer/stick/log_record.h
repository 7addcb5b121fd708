#pragma once
// What the change log keeps per change: 8 bytes naming the table and the
// entry (not a copy of it). A reader copies the entry's current state when it
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
  std::uint32_t table_id = 0;
  std::uint32_t ref = 0;  // shard << 25 | slot, or kTombstone
};

struct LoggedTombstone {
  std::uint64_t seq = 0;
  std::uint32_t table_id = 0;
  std::string key;
  std::uint8_t origin = 0;
  std::int64_t origin_us = 0;
};

}  // namespace tandem::balancer::stick
