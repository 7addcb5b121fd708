#pragma once
// Plain values the replication core works with. The gRPC layer converts the
// protobuf messages into these, so the core builds and is tested without gRPC.

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"

namespace tandem::peersync {

// A position in a balancer's change log (tandem.balancer.v1.Cursor).
struct Cursor {
  std::string instance_id;  // empty: nothing held
  std::uint64_t seq = 0;
  bool empty() const { return instance_id.empty(); }
  bool operator==(const Cursor&) const = default;
};

// One `store` item: a tandem.balancer.v1.DataType number and, for rates, the period.
struct DataSpec {
  int type = 0;
  std::uint32_t period_ms = 0;
  bool operator==(const DataSpec&) const = default;
};

// What two nodes compare before replicating a table: name, key type and
// length, stored data. Size, expire and nopurge are each node's own business.
struct TableSchema {
  std::string name;
  int key_type = 0;  // tandem.balancer.v1.KeyType
  std::uint32_t key_len = 0;
  std::vector<DataSpec> data;
  std::uint64_t entries = 0;  // informational: the resync total
};

struct SchemaMismatch {
  std::string table;
  std::string local;   // in words
  std::string remote;  // in words, "missing" when absent
};

// tandem.peersync.v1.SyncState, same numbers.
enum class SyncState { connecting = 1, syncing = 2, synced = 3, degraded = 4 };

struct TableStatus {
  std::string table;
  SyncState state = SyncState::connecting;
  std::string reason;
  std::uint64_t lag_entries = 0;
  std::int64_t lag_ms = 0;
  std::uint64_t resync_done = 0;
  std::uint64_t resync_total = 0;
};

// The outgoing direction to one peer.
struct LinkStatus {
  std::string peer;
  SyncState state = SyncState::connecting;
  std::string reason;
  std::vector<TableStatus> tables;
  std::uint64_t lag_entries = 0;  // log changes the peer has not acked
  std::int64_t lag_ms = 0;        // age of the oldest unacked batch
  std::uint64_t batches_acked = 0;
  std::uint64_t entries_acked = 0;
  std::uint64_t entries_refused = 0;  // entries the peer's balancer refused
  std::uint64_t sessions = 0;         // Welcomes received since start
  std::uint64_t full_resyncs = 0;
  Cursor acked;  // the last position the peer holds
};

}  // namespace tandem::peersync
