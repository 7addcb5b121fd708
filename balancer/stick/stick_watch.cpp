#include "balancer/stick/stick_watch.h"

#include <algorithm>

#include "common/strings.h"

namespace tandem::balancer::stick {

Result<std::unique_ptr<StickWatch>> StickWatch::create(StickRegistry& registry, WatchParams params) {
  for (const std::string& name : params.tables) {
    auto t = registry.find(name);
    if (!t) return fail(cat("unknown stick table '", name, "'"));
    if (!t->def().replicated()) return fail(cat("stick table '", name, "' is not replicated (no 'peers')"));
  }
  if (params.max_batch == 0) params.max_batch = WatchParams::kDefaultBatch;
  params.max_batch = std::min(params.max_batch, WatchParams::kMaxBatch);
  auto w = std::unique_ptr<StickWatch>(new StickWatch(registry, std::move(params)));
  // Resume when the cursor is ours and the log still holds what follows it.
  registry.collect();
  const Cursor& from = w->params_.from;
  if (!from.empty() && from.instance_id == registry.instance_id() && registry.log().covers(from.seq)) {
    w->phase_ = Phase::live;
    w->pos_ = w->sent_ = from.seq;
  }
  return w;
}

StickWatch::StickWatch(StickRegistry& registry, WatchParams params) : reg_(registry), params_(std::move(params)) {}

bool StickWatch::wanted(const StickTable& t) const {
  if (!t.def().replicated()) return false;
  return params_.tables.empty() ||
         std::find(params_.tables.begin(), params_.tables.end(), t.name()) != params_.tables.end();
}

const StickTable* StickWatch::table(std::uint32_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) {
    auto t = reg_.find(id);
    if (t && !wanted(*t)) t = nullptr;
    it = by_id_.emplace(id, std::move(t)).first;
  }
  return it->second.get();
}

bool StickWatch::next(WatchOutput& out, StickNow now) {
  out.clear();
  if (phase_ == Phase::live) {
    reg_.collect();
    if (live_batch(out, now)) return true;
    if (phase_ == Phase::live) return false;  // nothing new
    out.clear();                              // fell behind the log: snapshot
  }
  if (phase_ == Phase::start_snapshot) {
    start_snapshot();
    out.snapshot_begin = true;
  }
  snapshot_batch(out, now);
  return true;
}

void StickWatch::start_snapshot() {
  reg_.collect();
  snap_seq_ = reg_.log().head();
  snap_tables_.clear();
  for (auto& t : reg_.tables())
    if (wanted(*t)) snap_tables_.push_back(std::move(t));
  snap_table_ = 0;
  snap_pos_ = {};
  by_id_.clear();  // tables may have changed since (reload)
  phase_ = Phase::snapshot;
}

void StickWatch::snapshot_batch(WatchOutput& out, StickNow now) {
  while (!full(out) && snap_table_ < snap_tables_.size()) {
    const StickTable& t = *snap_tables_[snap_table_];
    std::size_t room = params_.max_batch - out.images.entries.size();
    t.scan(snap_pos_, room, now, snap_seq_, out.images);
    if (t.scan_done(snap_pos_)) {
      ++snap_table_;
      snap_pos_ = {};
    }
  }
  if (snap_table_ < snap_tables_.size()) return;  // more to come: empty cursor
  out.snapshot_end = true;
  out.cursor = Cursor{reg_.instance_id(), snap_seq_};
  snap_tables_.clear();
  phase_ = Phase::live;
  pos_ = sent_ = snap_seq_;
}

bool StickWatch::live_batch(WatchOutput& out, StickNow now) {
  // The peer's node id, if it ever wrote here (else nothing to suppress).
  auto peer = params_.peer_node.empty() ? std::nullopt : reg_.nodes().find(params_.peer_node);
  const int skip = peer ? static_cast<int>(*peer) : -1;
  // Bounded: a long run of suppressed records ends in a cursor-only batch.
  for (int reads = 0; reads < 8 && !full(out); ++reads) {
    slice_.clear();
    std::size_t room = params_.max_batch - out.images.entries.size();
    auto n = reg_.log().read(pos_, room, slice_);
    if (!n) {
      phase_ = Phase::start_snapshot;
      return false;
    }
    if (*n == 0) break;
    std::size_t tomb = 0;
    for (std::size_t i = 0; i < *n; ++i) {
      const LogRecord& r = slice_.records[i];
      const std::uint64_t seq = slice_.from + i;
      if (r.ref != LogRecord::kTombstone) {
        if (static_cast<int>(r.origin) == skip) continue;  // an echo: no lock taken (a resync applies 1M)
        if (const StickTable* t = table(r.table_id)) t->image_of_ref(r.ref, seq, skip, now, out.images);
        continue;
      }
      const LoggedTombstone& d = slice_.tombstones[tomb++];
      const StickTable* t = table(d.table_id);
      if (!t || static_cast<int>(d.origin) == skip) continue;
      EntryImage im;
      im.table = t;
      im.key_off = static_cast<std::uint32_t>(out.images.bytes.size());
      im.key_len = static_cast<std::uint32_t>(d.key.size());
      out.images.bytes.append(d.key);
      im.data_off = static_cast<std::uint32_t>(out.images.data.size());
      im.origin = d.origin;
      im.origin_us = d.origin_us;
      im.seq = seq;
      im.deleted = true;
      out.images.entries.push_back(im);
    }
    pos_ = slice_.from + *n - 1;
  }
  if (out.images.entries.empty() && pos_ == sent_) return false;
  out.cursor = Cursor{reg_.instance_id(), pos_};
  sent_ = pos_;
  return true;
}

}  // namespace tandem::balancer::stick
