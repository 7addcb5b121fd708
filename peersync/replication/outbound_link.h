#pragma once
// The sending direction to one peer, as a pure state machine: this node's
// balancer changes go out in batches, the peer acks what its balancer applied.
// No sockets and no clock: the driver (service/outbound_session) feeds events
// with the time and does what the answers say.
//
//   dialing -> [Hello/Welcome] -> welcomed(): resume from the peer's cursor
//   or full resync -> sending()/acked() ... -> lost() -> backoff -> dialing
//
// Per table: CONNECTING before the first Welcome, SYNCING while a snapshot is
// unacknowledged, SYNCED when every change is shipped as it happens, DEGRADED
// with the reason (schema mismatch, session lost).

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "peersync/replication/backoff.h"
#include "peersync/replication/sync_types.h"

namespace tandem::peersync {

struct LinkTimers {
  Millis heartbeat{1000};        // send one when nothing else was sent for this long
  Millis dead_after{3000};       // nothing heard for this long: the peer is gone
  Millis welcome_timeout{5000};  // a Hello unanswered for this long
  Millis backoff_base{200};
  Millis backoff_cap{5000};
  // Batches in flight (sent, not acked) before the next one waits. Live
  // changes: one, so a change after a quiet spell goes at once and whatever
  // arrives while a batch is out merges into the next one (adaptive
  // batching: batches grow with the rate and the round trip, no timer).
  // Snapshot batches (already full) overlap a few round trips.
  std::size_t live_unacked = 1;
  std::size_t snapshot_unacked = 16;  // x 8192 entries: covers the receiver's queue (2 applying + 1 merging)
  std::size_t max_merged_entries = 8192;  // a merged live batch; under InboundLimits' 16384
};

// What the peer said in its Welcome.
struct WelcomeView {
  std::string node;
  Cursor holding;
  std::vector<TableSchema> tables;
  std::vector<SchemaMismatch> mismatches;
};

// This node's balancer when the session starts.
struct LocalView {
  std::string instance_id;
  std::uint64_t head = 0;           // its change log's last sequence number
  std::vector<TableSchema> tables;  // the tables it replicates (`peers` set)
};

// How to open the balancer's Watch for this session.
struct StartPlan {
  Cursor from;  // empty: a full snapshot
  bool full_resync = false;
  std::vector<std::string> tables;  // the tables both sides agree on
};

// One batch about to be sent (from a WatchBatch).
struct BatchSummary {
  Cursor cursor;  // empty inside a snapshot
  bool snapshot_begin = false;
  bool snapshot_end = false;
  std::map<std::string, std::uint64_t> entries_per_table;
};

// Whether `next` may join `pending` (both about to be sent) as one batch:
// only live batches (a cursor, no snapshot flags), up to `max_entries`. The
// merged batch ends at `next`'s cursor: the peer applies both in order, so
// acking it acknowledges both.
bool mergeable(const BatchSummary& pending, const BatchSummary& next, std::size_t max_entries);
void merge_into(BatchSummary& pending, const BatchSummary& next);
std::uint64_t entry_count(const BatchSummary& b);

struct AckView {
  std::uint64_t batch_id = 0;
  Cursor applied;
  std::size_t refused = 0;
  std::string first_error;
};

struct TickActions {
  bool send_heartbeat = false;
  std::optional<std::string> give_up;  // end the session, with why
};

class OutboundLink {
 public:
  OutboundLink(std::string peer, LinkTimers timers);

  // A connection attempt starts (Hello sent).
  void dialing(SteadyTime now);
  // The peer's Welcome: checks it and says where to start. An error ends the
  // session (the peer named itself wrongly, or nothing can be replicated).
  Result<StartPlan> welcomed(const WelcomeView& w, const LocalView& local, SteadyTime now);
  // A batch is being sent: returns its batch id (increasing per session).
  std::uint64_t sending(const BatchSummary& b, SteadyTime now);
  // Whether `next` may be sent now, or must wait for acks (and meanwhile
  // absorb what follows it, see mergeable()).
  bool may_send(const BatchSummary& next) const;
  std::size_t in_flight() const { return unacked_.size(); }
  // An ack is cumulative: batch k acknowledges every batch up to k (the peer
  // applies in order and acks only the newest it holds). It must name a batch
  // in flight and carry that batch's cursor.
  Result<void> acked(const AckView& a, SteadyTime now);
  // Anything was received from the peer (ack, heartbeat, welcome).
  void heard(SteadyTime now) { last_heard_ = now; }
  // Anything was sent to the peer.
  void said(SteadyTime now) { last_said_ = now; }
  // The balancer's log head, for lag in entries.
  void local_head(std::uint64_t seq) { head_ = std::max(head_, seq); }
  TickActions tick(SteadyTime now) const;
  // The session ended: DEGRADED with the reason; returns the delay before the
  // next attempt.
  Millis lost(const std::string& reason, SteadyTime now, const RandomSource& random);

  bool established() const { return established_; }
  const LinkTimers& timers() const { return timers_; }
  LinkStatus status(SteadyTime now) const;

 private:
  struct InFlight {
    std::uint64_t id;
    Cursor cursor;
    bool snapshot_end;
    std::map<std::string, std::uint64_t> entries;
    SteadyTime sent;
  };
  struct Table {
    TableStatus st;
    bool replicated = false;  // both sides agree on it
  };

  void set_all(SyncState s, const std::string& reason);

  std::string peer_;
  LinkTimers timers_;
  Backoff backoff_;
  SyncState state_ = SyncState::connecting;
  std::string reason_;
  bool established_ = false;
  SteadyTime dialed_{}, last_heard_{}, last_said_{};
  std::map<std::string, Table> tables_;
  std::deque<InFlight> unacked_;
  std::uint64_t next_batch_ = 1;
  std::uint64_t head_ = 0;
  std::string instance_;  // the local balancer instance of this session
  bool in_snapshot_ = false;
  LinkStatus counters_;  // the counter fields only
};

}  // namespace tandem::peersync
