#include "peersync/replication/outbound_link.h"

#include <algorithm>
#include <set>

#include "common/strings.h"
#include "peersync/replication/schema.h"

namespace tandem::peersync {

namespace {
std::int64_t ms_between(SteadyTime a, SteadyTime b) { return std::chrono::duration_cast<Millis>(b - a).count(); }
}  // namespace

namespace {
bool is_live(const BatchSummary& b) { return !b.cursor.empty() && !b.snapshot_begin && !b.snapshot_end; }
}  // namespace

std::uint64_t entry_count(const BatchSummary& b) {
  std::uint64_t n = 0;
  for (const auto& [name, k] : b.entries_per_table) n += k;
  return n;
}

bool mergeable(const BatchSummary& pending, const BatchSummary& next, std::size_t max_entries) {
  return is_live(pending) && is_live(next) && pending.cursor.instance_id == next.cursor.instance_id &&
         entry_count(pending) + entry_count(next) <= max_entries;
}

void merge_into(BatchSummary& pending, const BatchSummary& next) {
  pending.cursor = next.cursor;
  for (const auto& [name, n] : next.entries_per_table) pending.entries_per_table[name] += n;
}

OutboundLink::OutboundLink(std::string peer, LinkTimers timers)
    : peer_(std::move(peer)), timers_(timers), backoff_(timers.backoff_base, timers.backoff_cap) {
  counters_.peer = peer_;
}

void OutboundLink::dialing(SteadyTime now) {
  dialed_ = now;
  last_heard_ = now;
  last_said_ = now;
}

void OutboundLink::set_all(SyncState s, const std::string& reason) {
  state_ = s;
  reason_ = reason;
  for (auto& [name, t] : tables_) {
    if (t.replicated || s != SyncState::degraded) {
      t.st.state = s;
      t.st.reason = reason;
    }
  }
}

Result<StartPlan> OutboundLink::welcomed(const WelcomeView& w, const LocalView& local, SteadyTime now) {
  if (w.node != peer_) return fail(cat("the peer says it is '", w.node, "', not '", peer_, "'"));
  // Our own comparison and the receiver's must agree; take the union so that a
  // table either side objects to is not shipped.
  std::map<std::string, SchemaMismatch> bad;
  for (auto& m : compare_schemas(local.tables, w.tables)) bad.emplace(m.table, m);
  for (const auto& m : w.mismatches) bad.emplace(m.table, m);

  tables_.clear();
  StartPlan plan;
  for (const auto& t : local.tables) {
    if (bad.contains(t.name)) continue;
    plan.tables.push_back(t.name);
    Table& tab = tables_[t.name];
    tab.replicated = true;
    tab.st.table = t.name;
    tab.st.resync_total = t.entries;
  }
  for (const auto& [name, m] : bad) {
    Table& tab = tables_[name];
    tab.st.table = name;
    tab.st.state = SyncState::degraded;
    tab.st.reason = cat("schema mismatch: here ", m.local, ", on ", peer_, " ", m.remote);
  }

  // Resume only from a point of this very balancer's history that it has
  // reached; any other cursor (another instance, or nothing) means the peer
  // must be taught the whole table.
  const bool resume = !w.holding.empty() && w.holding.instance_id == local.instance_id && w.holding.seq <= local.head;
  plan.full_resync = !resume;
  if (resume) plan.from = w.holding;

  established_ = true;
  backoff_.reset();
  unacked_.clear();
  next_batch_ = 1;
  in_snapshot_ = false;
  instance_ = local.instance_id;
  head_ = local.head;
  counters_.acked = resume ? w.holding : Cursor{};
  ++counters_.sessions;
  last_heard_ = now;
  last_said_ = now;
  for (auto& [name, t] : tables_) {
    if (!t.replicated) continue;
    t.st.state = resume ? SyncState::synced : SyncState::syncing;
    t.st.reason.clear();
    t.st.resync_done = 0;
  }
  state_ = SyncState::synced;  // refined by the tables below
  reason_.clear();
  for (const auto& [name, t] : tables_) {
    if (t.st.state == SyncState::degraded) {
      state_ = SyncState::degraded;
      reason_ = reason_.empty() ? t.st.reason : cat(reason_, "; ", t.st.reason);
    } else if (t.st.state == SyncState::syncing && state_ == SyncState::synced) {
      state_ = SyncState::syncing;
    }
  }
  return plan;
}

std::uint64_t OutboundLink::sending(const BatchSummary& b, SteadyTime now) {
  if (b.snapshot_begin) {
    // The balancer may choose a snapshot itself (a cursor older than its log
    // keeps), so this, not the plan, is where a resync starts.
    in_snapshot_ = true;
    ++counters_.full_resyncs;
    for (auto& [name, t] : tables_) {
      if (!t.replicated) continue;
      t.st.state = SyncState::syncing;
      t.st.resync_done = 0;
    }
    if (state_ != SyncState::degraded) state_ = SyncState::syncing;
  }
  for (const auto& [name, n] : b.entries_per_table) {
    auto it = tables_.find(name);
    if (it != tables_.end() && in_snapshot_) {
      it->second.st.resync_done += n;
      it->second.st.resync_total = std::max(it->second.st.resync_total, it->second.st.resync_done);
    }
  }
  if (b.snapshot_end) in_snapshot_ = false;
  if (!b.cursor.empty()) head_ = std::max(head_, b.cursor.seq);
  unacked_.push_back(InFlight{next_batch_, b.cursor, b.snapshot_end, b.entries_per_table, now});
  last_said_ = now;
  return next_batch_++;
}

bool OutboundLink::may_send(const BatchSummary& next) const {
  const bool snapshot = in_snapshot_ || !is_live(next);
  return unacked_.size() < (snapshot ? timers_.snapshot_unacked : timers_.live_unacked);
}

Result<void> OutboundLink::acked(const AckView& a, SteadyTime now) {
  last_heard_ = now;
  if (unacked_.empty()) return fail(cat("ack for batch ", a.batch_id, " with nothing in flight"));
  if (a.batch_id < unacked_.front().id || a.batch_id > unacked_.back().id)
    return fail(cat("ack for batch ", a.batch_id, ", in flight: ", unacked_.front().id, " to ", unacked_.back().id));
  const InFlight& last = unacked_[a.batch_id - unacked_.front().id];  // ids are consecutive
  if (!(a.applied == last.cursor))
    return fail(cat("ack of batch ", a.batch_id, " holds seq ", a.applied.seq, ", the batch ended at ", last.cursor.seq));
  counters_.entries_refused += a.refused;
  if (a.refused) reason_ = cat(peer_, "'s balancer refused ", a.refused, " entries: ", a.first_error);
  while (!unacked_.empty() && unacked_.front().id <= a.batch_id) {
    const InFlight& f = unacked_.front();
    ++counters_.batches_acked;
    for (const auto& [name, n] : f.entries) counters_.entries_acked += n;
    if (!f.cursor.empty()) counters_.acked = f.cursor;
    if (f.snapshot_end) {
      for (auto& [name, t] : tables_)
        if (t.replicated && t.st.state == SyncState::syncing) t.st.state = SyncState::synced;
      if (state_ == SyncState::syncing) state_ = SyncState::synced;
    }
    unacked_.pop_front();
  }
  return {};
}

TickActions OutboundLink::tick(SteadyTime now) const {
  TickActions a;
  if (!established_) {
    if (now - dialed_ >= timers_.welcome_timeout)
      a.give_up = cat("no Welcome within ", timers_.welcome_timeout.count(), " ms");
    return a;
  }
  if (now - last_heard_ >= timers_.dead_after)
    a.give_up = cat("nothing heard from ", peer_, " for ", ms_between(last_heard_, now), " ms");
  else if (now - last_said_ >= timers_.heartbeat)
    a.send_heartbeat = true;
  return a;
}

Millis OutboundLink::lost(const std::string& reason, SteadyTime, const RandomSource& random) {
  established_ = false;
  unacked_.clear();
  in_snapshot_ = false;
  state_ = SyncState::degraded;
  reason_ = reason;
  for (auto& [name, t] : tables_) {
    t.st.state = SyncState::degraded;
    if (t.replicated) t.st.reason = reason;
  }
  return backoff_.next(random);
}

LinkStatus OutboundLink::status(SteadyTime now) const {
  LinkStatus s = counters_;
  s.state = state_;
  s.reason = reason_;
  std::map<std::string, std::pair<std::uint64_t, SteadyTime>> lag;  // per table: entries, oldest
  for (const auto& f : unacked_)
    for (const auto& [name, n] : f.entries) {
      auto [it, fresh] = lag.try_emplace(name, 0, f.sent);
      it->second.first += n;
    }
  for (const auto& [name, t] : tables_) {
    TableStatus ts = t.st;
    if (auto it = lag.find(name); it != lag.end()) {
      ts.lag_entries = it->second.first;
      ts.lag_ms = ms_between(it->second.second, now);
    }
    s.tables.push_back(ts);
  }
  if (established_) {
    const bool same = counters_.acked.instance_id == instance_;
    s.lag_entries = head_ - (same ? std::min(counters_.acked.seq, head_) : 0);
    if (!unacked_.empty()) s.lag_ms = ms_between(unacked_.front().sent, now);
  }
  return s;
}

}  // namespace tandem::peersync
