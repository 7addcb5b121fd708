#pragma once
// Every stick table of a balancer process, with what replication needs
// around them: the node name and instance id, the change log and its
// sequencer, the node-name pool origins refer to, and the cursors Apply has
// stored per source node.
//
// The balancer process owns one registry for its lifetime (it outlives
// reloads): install() keeps a table whose definition did not change, so
// entries survive a reload, and replaces one whose definition did.
//
// Threads: every method is thread-safe. Locks, never nested with each other
// except as listed: tables_mutex_ (shared for lookups); seq_mutex_ serializes
// collect(), which takes shard locks one at a time, then the log's mutex;
// applied_mutex_.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "balancer/stick/change_log.h"
#include "balancer/stick/change_signal.h"
#include "balancer/stick/name_pool.h"
#include "balancer/stick/peers_board.h"
#include "balancer/stick/stick_table.h"
#include "common/error.h"

namespace tandem::balancer::stick {

// A position in a balancer's change log (proto Cursor).
struct Cursor {
  std::string instance_id;  // empty: nothing (start with a snapshot)
  std::uint64_t seq = 0;    // the last change included
  bool empty() const { return instance_id.empty(); }
  bool operator==(const Cursor&) const = default;
};

class StickRegistry {
 public:
  struct Options {
    std::string node;                     // this node's name: the origin of local changes
    std::string instance_id;              // random per process start (the runtime draws it)
    std::size_t log_capacity = 1u << 20;  // changes kept for resuming Watch streams (8 bytes each)
  };
  explicit StickRegistry(Options options);
  ~StickRegistry();
  StickRegistry(const StickRegistry&) = delete;
  StickRegistry& operator=(const StickRegistry&) = delete;

  const std::string& node() const { return node_; }
  const std::string& instance_id() const { return instance_id_; }
  // The serving configuration's `peers` sections (peers_board.h).
  const std::shared_ptr<PeersBoard>& peers_board() const { return peers_board_; }

  // ---- Tables (configuration load and reload) ----
  // The table for `def`: the existing one when its definition is the same
  // (entries kept), else a new one (replacing any of that name). `seed`:
  // random, for the table's hash.
  Result<std::shared_ptr<StickTable>> install(TableDef def, std::uint64_t seed, StickNow now);
  // Drops tables whose names are not listed (after a reload). Connections
  // still holding them keep them alive; their log records are then skipped.
  void retain(const std::vector<std::string>& names);
  std::shared_ptr<StickTable> find(std::string_view name) const;
  std::shared_ptr<StickTable> find(std::uint32_t id) const;
  std::vector<std::shared_ptr<StickTable>> tables() const;

  // ---- Change log ----
  // Numbers every pending change of every replicated table into the log.
  // Watch streams call it before reading; the maintenance tick calls it so
  // that pending lists stay short when nobody watches.
  void collect();
  const ChangeLog& log() const { return log_; }
  ChangeSignal& signal() { return signal_; }
  const NamePool& nodes() const { return nodes_; }

  // ---- Replication ----
  // Validates an untrusted entry for `table` and applies it (see
  // StickTable::apply). Errors say why the entry was refused.
  // `cache` (one per Apply stream) remembers the last origin and server
  // names resolved, which are nearly always the same from entry to entry:
  // it saves two mutex-guarded hash lookups per entry.
  struct ApplyCache {
    std::string origin;
    std::uint8_t origin_id = 0;
    const StickTable* table = nullptr;
    std::string server;
    ServerRef server_ref = 0;
  };
  Result<ApplyOutcome> apply(StickTable& table, const IncomingEntry& in, StickNow now, ApplyCache* cache = nullptr);
  // What Apply stored from `source` (GetApplied); empty when nothing, which
  // is the case for every source after a restart (a new instance).
  void set_applied(std::string_view source, Cursor cursor);
  Cursor applied(std::string_view source) const;

  // ---- Maintenance (the control thread, every 100 ms or so) ----
  // Expires up to `budget` entries per shard of each table, then collects.
  // True when expiry has more work left (call again soon).
  bool maintain(StickNow now, std::uint32_t budget = 256);

 private:
  const std::string node_;
  const std::string instance_id_;
  const std::shared_ptr<PeersBoard> peers_board_ = std::make_shared<PeersBoard>();
  ChangeSignal signal_;
  NamePool nodes_;  // id 0 is this node

  mutable std::shared_mutex tables_mutex_;
  std::map<std::string, std::shared_ptr<StickTable>, std::less<>> by_name_;
  std::unordered_map<std::uint32_t, std::shared_ptr<StickTable>> by_id_;
  std::uint32_t next_id_ = 1;

  std::mutex seq_mutex_;
  ChangeLog log_;
  std::vector<LogRecord> records_;  // collect()'s scratch, capacity kept (seq_mutex_)
  std::vector<LoggedTombstone> tombstones_;

  mutable std::mutex applied_mutex_;
  std::map<std::string, Cursor, std::less<>> applied_;
};

}  // namespace tandem::balancer::stick
