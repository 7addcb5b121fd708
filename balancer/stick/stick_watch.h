#pragma once
// One Watch stream's reading of the change log (pure: no gRPC, no waiting).
//
// Semantics (proto StickTables.Watch):
//  - A full snapshot first when the cursor is empty, names another instance,
//    or a point the log no longer keeps; also later, whenever the stream
//    falls so far behind that the log dropped what it had not read.
//    The snapshot is taken after collecting every pending change into the
//    log at position S; its batches carry an empty cursor (resuming from
//    inside a snapshot starts it over) and the last one, snapshot_end, the
//    cursor (instance, S). Live changes then continue after S: an entry
//    changed during the snapshot is sent again, later (harmless: newer wins).
//  - Then live changes in log order, each entry's current state: records
//    superseded by a later change of the same entry are skipped (coalescing),
//    deletes are tombstones. Outside snapshots, entries whose origin is
//    `peer_node` are not sent (no echo).
//  - When only suppressed or superseded records were read, a batch with no
//    entries still advances the cursor, so the peer's stored position
//    (GetApplied) never falls behind the log's horizon for nothing.
//
// Not thread-safe: one stream, one thread.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "balancer/stick/change_log.h"
#include "balancer/stick/entry_image.h"
#include "balancer/stick/stick_registry.h"

namespace tandem::balancer::stick {

struct WatchParams {
  Cursor from;
  std::vector<std::string> tables;   // empty: every replicated table
  std::string peer_node;             // entries from this node are not sent (outside snapshots)
  std::uint32_t max_batch = 0;       // entries per batch; 0: kDefaultBatch
  std::size_t max_bytes = 1u << 20;  // and roughly at most this many bytes
  static constexpr std::uint32_t kDefaultBatch = 1024;
  static constexpr std::uint32_t kMaxBatch = 16384;
};

struct WatchOutput {
  ImageBatch images;
  Cursor cursor;
  bool snapshot_begin = false;
  bool snapshot_end = false;
  void clear() {
    images.clear();
    cursor = Cursor{};
    snapshot_begin = snapshot_end = false;
  }
};

class StickWatch {
 public:
  // Errors: a named table that does not exist or is not replicated.
  static Result<std::unique_ptr<StickWatch>> create(StickRegistry& registry, WatchParams params);

  // Fills `out` with the next batch to send and returns true, or returns
  // false when there is nothing to send now (wait for the registry's signal,
  // then call again).
  bool next(WatchOutput& out, StickNow now);

  bool in_snapshot() const { return phase_ != Phase::live; }
  std::uint64_t position() const { return pos_; }

 private:
  enum class Phase { start_snapshot, snapshot, live };
  StickWatch(StickRegistry& registry, WatchParams params);
  bool wanted(const StickTable& t) const;
  const StickTable* table(std::uint32_t id);
  void start_snapshot();
  void snapshot_batch(WatchOutput& out, StickNow now);
  bool live_batch(WatchOutput& out, StickNow now);
  bool full(const WatchOutput& out) const {
    return out.images.entries.size() >= params_.max_batch || out.images.weight() >= params_.max_bytes;
  }

  StickRegistry& reg_;
  WatchParams params_;
  Phase phase_ = Phase::start_snapshot;
  // Snapshot: the tables to copy, where we are, the log position it covers.
  std::vector<std::shared_ptr<StickTable>> snap_tables_;
  std::size_t snap_table_ = 0;
  StickTable::ScanPos snap_pos_;
  std::uint64_t snap_seq_ = 0;
  // Live: the last record read and the last position sent.
  std::uint64_t pos_ = 0;
  std::uint64_t sent_ = 0;
  LogSlice slice_;
  // Tables by id as records name them (null: gone or not wanted).
  std::unordered_map<std::uint32_t, std::shared_ptr<StickTable>> by_id_;
};

}  // namespace tandem::balancer::stick
