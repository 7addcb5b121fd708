#include "balancer/admin/stick_tables_service.h"

#include <google/protobuf/arena.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <ranges>

#include "balancer/admin/stick_codec.h"
#include "balancer/stick/stick_time.h"
#include "balancer/stick/stick_watch.h"
#include "common/strings.h"

namespace tandem::balancer::admin {

using namespace tandem::balancer::stick;

namespace {
constexpr int kMaxAckErrors = 100;
// Each stream builds or parses its batches in an arena that starts with one
// block of this size, kept across batches (Arena::Reset frees only what grew
// beyond it): a batch of thousands of entries costs a few bump allocations,
// not thousands of mallocs and frees.
constexpr std::size_t kArenaBlock = 2u << 20;

struct StreamArena {
  StreamArena() : block(new char[kArenaBlock]), arena(options(block.get())) {}
  static google::protobuf::ArenaOptions options(char* b) {
    google::protobuf::ArenaOptions o;
    o.initial_block = b;
    o.initial_block_size = kArenaBlock;
    return o;
  }
  std::unique_ptr<char[]> block;
  google::protobuf::Arena arena;
};
}  // namespace

StickTablesService::StickTablesService(StickRegistry& registry, const Clock& clock)
    : StickTablesService(registry, clock, Options{}) {}

StickTablesService::StickTablesService(StickRegistry& registry, const Clock& clock, Options options)
    : reg_(registry), clock_(clock), options_(options) {}

StickTablesService::~StickTablesService() { shutdown(); }

void StickTablesService::shutdown() {
  if (stopping_.exchange(true)) return;
  reg_.signal().wake();
}

grpc::Status StickTablesService::ListTables(grpc::ServerContext*, const pb::ListTablesRequest*,
                                            pb::ListTablesResponse* resp) {
  reg_.collect();  // so that last_seq and head are current
  resp->set_instance_id(reg_.instance_id());
  resp->set_node(reg_.node());
  for (const auto& t : reg_.tables()) {
    pb::StickTableDef* d = resp->add_tables();
    to_proto(t->def(), d);
    d->set_entries(t->entries());
    d->set_last_seq(t->last_seq());
  }
  *resp->mutable_head() = to_proto(Cursor{reg_.instance_id(), reg_.log().head()});
  for (const stick::PeersSectionInfo& ps : reg_.peers_board()->serving()) {
    pb::PeersSection* out = resp->add_peers_sections();
    out->set_name(ps.name);
    for (const auto& p : ps.peers) out->add_peers(p);
    out->set_disabled(ps.disabled);
  }
  return grpc::Status::OK;
}

grpc::Status StickTablesService::Watch(grpc::ServerContext* ctx, const pb::WatchRequest* req,
                                       grpc::ServerWriter<pb::WatchBatch>* writer) {
  if (stopping_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "shutting down");
  WatchParams params;
  params.from = from_proto(req->from());
  params.tables.assign(req->tables().begin(), req->tables().end());
  params.peer_node = req->peer_node();
  params.max_batch = req->max_batch();
  auto watch = StickWatch::create(reg_, std::move(params));
  if (!watch) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, watch.error().message);

  WatchOutput out;
  auto mem = std::make_unique<StreamArena>();
  using Steady = std::chrono::steady_clock;
  // A cursor-only batch held back (see Options::cursor_only_every).
  std::optional<Cursor> held;
  Steady::time_point last_write{};
  auto write = [&](const WatchOutput& o) {
    mem->arena.Reset();
    auto* batch = google::protobuf::Arena::CreateMessage<pb::WatchBatch>(&mem->arena);
    to_proto(o, reg_.nodes(), batch);
    last_write = Steady::now();
    held.reset();
    return writer->Write(*batch);
  };
  while (!stopping_ && !ctx->IsCancelled()) {
    // Arm before reading: a change that lands after the read wakes the wait.
    const std::uint64_t seen = reg_.signal().arm();
    if (!(*watch)->next(out, stick_now(clock_))) {
      auto deadline = Steady::now() + options_.poll;
      if (held) {
        const auto due = last_write + options_.cursor_only_every;
        if (Steady::now() >= due) {
          WatchOutput o;
          o.cursor = *held;
          if (!write(o)) break;
          continue;
        }
        deadline = std::min(deadline, due);
      }
      reg_.signal().wait_until(seen, deadline);
      continue;
    }
    if (out.images.entries.empty() && !out.snapshot_begin && !out.snapshot_end && !(*watch)->in_snapshot() &&
        Steady::now() - last_write < options_.cursor_only_every) {
      held = out.cursor;
      continue;
    }
    if (!write(out)) break;  // the peer went away
  }
  if (stopping_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "shutting down");
  return grpc::Status::OK;
}

grpc::Status StickTablesService::Apply(grpc::ServerContext*,
                                       grpc::ServerReaderWriter<pb::ApplyAck, pb::ApplyBatch>* stream) {
  auto mem = std::make_unique<StreamArena>();
  pb::ApplyAck ack;
  IncomingDecoder decoder;
  StickRegistry::ApplyCache cache;
  std::shared_ptr<StickTable> table;  // the last one named: batches are mostly of one table
  while (true) {
    mem->arena.Reset();
    auto& batch = *google::protobuf::Arena::CreateMessage<pb::ApplyBatch>(&mem->arena);
    if (!stream->Read(&batch)) break;
    if (batch.source_node().empty())
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "ApplyBatch without a source_node");
    ack.Clear();
    std::uint32_t applied = 0, stale = 0;
    auto refuse = [&](int i, std::string_view why) {
      if (ack.errors_size() < kMaxAckErrors) ack.add_errors(cat("entry ", i, ": ", why));
    };
    const StickNow now = stick_now(clock_);
    // One wake of the watchers for the batch, before its ack (change_signal.h).
    for (ChangeSignal::Hold hold(reg_.signal()); int i : std::views::iota(0, batch.entries_size())) {
      const pb::StickEntry& e = batch.entries(i);
      if (!table || table->name() != e.table()) table = reg_.find(e.table());
      if (!table) {
        refuse(i, cat("unknown stick table '", e.table(), "'"));
        continue;
      }
      auto in = decoder.decode(table->def(), e);
      if (!in) {
        refuse(i, in.error().message);
        continue;
      }
      auto r = reg_.apply(*table, *in, now, &cache);
      if (!r)
        refuse(i, r.error().message);
      else if (*r == ApplyOutcome::stale)
        ++stale;
      else
        ++applied;
    }
    reg_.set_applied(batch.source_node(), from_proto(batch.source_cursor()));
    *ack.mutable_applied() = batch.source_cursor();
    ack.set_applied_count(applied);
    ack.set_stale_count(stale);
    if (!stream->Write(ack)) break;
  }
  return grpc::Status::OK;
}

grpc::Status StickTablesService::GetApplied(grpc::ServerContext*, const pb::GetAppliedRequest* req, pb::Cursor* resp) {
  *resp = to_proto(reg_.applied(req->source_node()));
  return grpc::Status::OK;
}

}  // namespace tandem::balancer::admin
