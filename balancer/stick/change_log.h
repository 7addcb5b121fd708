#pragma once
// The balancer's change log: one sequence of numbered changes across every
// replicated table, kept in a bounded ring.
//
// Why one log, not one per table: a Watch cursor is (instance_id, seq) for
// the whole balancer (proto Cursor), and peersync resumes every table of a
// stream from one acked position. With one log that position is one number;
// per-table logs would need a vector of them in every cursor and ack.
// Sequence numbers are therefore per balancer instance: a table's changes get
// increasing, not consecutive, numbers.
//
// How changes get numbers: the data path never touches the log. It marks the
// entry dirty and lists it in its shard's pending list (once, however many
// times it changes). collect() (StickRegistry) takes every pending list, gives
// each change the next number and appends an 8-byte record naming the entry.
// Readers copy the entry's state when they reach the record (log_record.h).
//
// Bounded: `capacity` records (8 bytes each, allocated as the log fills).
// A cursor older than the oldest record kept is "a point no longer kept": the
// reader sends a snapshot instead.
//
// Thread-safe: append/lose_history come from the registry's sequencer (one
// at a time); readers copy slices out under the log's mutex and never hold it
// while touching a table.

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "balancer/stick/log_record.h"

namespace tandem::balancer::stick {

// Records (after, after + n], and the tombstones among them in order.
struct LogSlice {
  std::uint64_t from = 0;  // seq of records[0]
  std::vector<LogRecord> records;
  std::vector<LoggedTombstone> tombstones;
  void clear() {
    records.clear();
    tombstones.clear();
  }
};

class ChangeLog {
 public:
  // `capacity` is rounded up to a power of two (at least 1024).
  explicit ChangeLog(std::size_t capacity);

  // The last sequence number given (0: none yet).
  std::uint64_t head() const;
  // The oldest sequence number still kept (head() + 1 when none is).
  std::uint64_t first() const;
  // True when a reader that has seen everything up to `after` can resume
  // from the log (nothing it needs was dropped).
  bool covers(std::uint64_t after) const;

  // Sequencer: appends records numbered head()+1.. and their tombstones
  // (whose seq fields must match). Drops the oldest beyond capacity.
  void append(std::vector<LogRecord>& records, std::vector<LoggedTombstone>& tombstones);
  // Sequencer: changes were lost; every cursor up to head() needs a snapshot.
  void lose_history();

  // Copies up to `max` records after `after`; nullopt when `after` is no
  // longer covered (the reader must take a snapshot), 0 when nothing new.
  std::optional<std::size_t> read(std::uint64_t after, std::size_t max, LogSlice& out) const;

  std::size_t capacity() const { return cap_; }
  std::size_t memory_bytes() const;

 private:
  mutable std::mutex mutex_;
  const std::size_t cap_;
  std::vector<LogRecord> ring_;  // record of seq s at (s - 1) % cap_; grows to cap_
  std::uint64_t head_ = 0;
  std::uint64_t first_ = 1;
  std::deque<LoggedTombstone> tombstones_;  // ascending seq, all >= first_
};

}  // namespace tandem::balancer::stick
