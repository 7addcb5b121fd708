#include "peersync/service/inbound_service.h"

#include <grpcpp/client_context.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <tuple>
#include <thread>

#include "common/log.h"
#include "common/strings.h"
#include "peersync/replication/schema.h"
#include "peersync/service/proto_convert.h"
#include "peersync/service/tls.h"

namespace tandem::peersync {

namespace bpb = tandem::balancer::v1;
namespace ppb = tandem::peersync::v1;
using namespace std::chrono_literals;

InboundService::InboundService(Options options, PeerBook& peers, BalancerLink& balancer, const Clock& clock,
                               StatusSource status, PeerUp peer_up)
    : options_(std::move(options)),
      peers_(peers),
      balancer_(balancer),
      clock_(clock),
      status_(std::move(status)),
      peer_up_(std::move(peer_up)) {}

Result<std::string> InboundService::authenticate(grpc::ServerContext* ctx, const std::string& claimed) {
  const auto names = certificate_names(*ctx);
  if (auto r = admit_peer(claimed, peers_.names(), options_.tls, names); !r) return std::unexpected(r.error());
  return claimed;
}

grpc::Status InboundService::NodeStatus(grpc::ServerContext* ctx, const ppb::NodeStatusRequest*,
                                        ppb::NodeStatusResponse* resp) {
  // Any configured peer may ask; with TLS its certificate must name one.
  if (options_.tls) {
    bool known = false;
    for (const auto& n : certificate_names(*ctx))
      if (peers_.find(n)) known = true;
    if (!known) return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "the certificate names no configured peer");
  }
  *resp->mutable_status() = status_();
  return grpc::Status::OK;
}

grpc::Status InboundService::Replicate(
    grpc::ServerContext* ctx, grpc::ServerReaderWriter<ppb::ReplicateResponse, ppb::ReplicateRequest>* stream) {
  // The watchdog: a peer that says nothing for dead_after is gone (this also
  // bounds the wait for the Hello).
  std::atomic<std::int64_t> last_heard_ms{unix_ms(clock_.wall())};
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    while (!done) {
      std::this_thread::sleep_for(100ms);
      if (unix_ms(clock_.wall()) - last_heard_ms > options_.dead_after.count()) {
        ctx->TryCancel();
        return;
      }
    }
  });
  struct Join {
    std::atomic<bool>& done;
    std::thread& t;
    ~Join() {
      done = true;
      if (t.joinable()) t.join();
    }
  } join_watchdog{done, watchdog};

  ppb::ReplicateRequest req;
  if (!stream->Read(&req)) return grpc::Status(grpc::StatusCode::CANCELLED, "no Hello");
  last_heard_ms = unix_ms(clock_.wall());
  if (!req.has_hello() || req.has_batch() || req.has_heartbeat()) {
    log::warning("refused a Replicate stream from ", ctx->peer(), ": the first message must be a Hello");
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the first message must be a Hello");
  }
  const ppb::Hello hello = req.hello();
  auto who = authenticate(ctx, hello.node());
  if (!who) {
    log::warning("refused a Replicate stream from ", ctx->peer(), ": ", who.error().message);
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, who.error().message);
  }
  std::shared_ptr<PeerEntry> entry = peers_.find(*who);
  if (!entry) return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, cat("'", *who, "' is no longer a peer"));
  PeerEntry& peer = *entry;
  if (peer_up_) peer_up_(peer.name);
  std::uint64_t generation;
  {
    std::lock_guard lock(peer.mu);
    generation = ++peer.inbound_generation;
    peer.inbound.connected = true;
    peer.inbound.unapplied_since_us = 0;
    ++peer.inbound.sessions;
  }
  auto still_current = [&] {
    std::lock_guard lock(peer.mu);
    return peer.inbound_generation == generation && !peer.removed;
  };
  auto note_error = [&](const std::string& e) {
    std::lock_guard lock(peer.mu);
    peer.inbound.last_error = e;
    log::warning("from ", peer.name, ": ", e);
  };
  struct Disconnect {
    PeerEntry& p;
    std::uint64_t gen;
    ~Disconnect() {
      std::lock_guard lock(p.mu);
      if (p.inbound_generation != gen) return;
      p.inbound.connected = false;
      p.inbound.unapplied_since_us = 0;
    }
  } disconnect{peer, generation};

  // What the local balancer holds from this peer, and the tables compared.
  auto tables = balancer_.list_tables(2s);
  if (!tables) {
    note_error(tables.error().message);
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, tables.error().message);
  }
  auto holding = balancer_.applied(peer.name, 2s);
  if (!holding) {
    note_error(holding.error().message);
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, holding.error().message);
  }
  std::vector<TableSchema> remote;
  for (const auto& d : hello.tables()) remote.push_back(from_proto(d));
  const auto local = replicated(tables->tables());
  const auto mismatches = compare_schemas(local, remote);
  std::set<std::string> agreed;
  for (const auto& t : local) agreed.insert(t.name);
  for (const auto& m : mismatches) {
    agreed.erase(m.table);
    note_error(
        cat("table ", m.table, " not replicated: schema here ", m.local, ", on ", peer.name, " ", m.remote));
  }

  ppb::ReplicateResponse welcome;
  welcome.mutable_welcome()->set_node(options_.node);
  *welcome.mutable_welcome()->mutable_holding() = *holding;
  for (const auto& d : tables->tables())
    if (!d.peers().empty()) *welcome.mutable_welcome()->add_tables() = d;
  for (const auto& m : mismatches) {
    auto* o = welcome.mutable_welcome()->add_mismatches();
    o->set_table(m.table);
    o->set_local(m.local);
    o->set_remote(m.remote);
  }
  std::mutex write_mu;
  {
    std::lock_guard lock(write_mu);
    if (!stream->Write(welcome)) return grpc::Status(grpc::StatusCode::CANCELLED, "the peer went away");
  }
  log::info("from ", peer.name, ": replicating, holding seq ", holding->seq(), " of ",
            holding->instance_id().empty() ? "nothing" : holding->instance_id());

  // The balancer's Apply stream, at most kApplyWindow ApplyBatches in flight.
  // A peer batch that finds nothing waiting and room in the window is written
  // by this handler thread at once (no thread hop); otherwise it merges into
  // `pending`, which the writer thread sends when an ack makes room
  // (adaptive, no timer). One thread writes at a time (`writing`), so nothing
  // overtakes `pending`. The balancer's ack goes back to the peer as one
  // cumulative Ack for the newest batch it covers. Messages are swapped;
  // their entries keep their allocations from batch to batch.
  grpc::ClientContext apply_ctx;
  auto apply = balancer_.apply_wire(&apply_ctx);  // entries forwarded as the peer's bytes
  std::atomic<bool> balancer_lost{false};
  std::atomic<bool> finishing{false};  // the handler ends the call itself: keep its status
  std::mutex apply_mu;  // guards the block below
  std::condition_variable apply_cv;
  ppb::ApplyBatchWire pending;
  bool has_pending = false;
  std::uint64_t pending_id = 0;     // the newest peer batch merged into `pending`
  std::int64_t pending_sent_us = 0;  // the oldest one's sent_unix_us
  // Apply batches written, not yet acked by the balancer: newest peer batch
  // id, oldest sent_unix_us. Two: the balancer parses the next one while it
  // applies this one (a resync keeps it busy), and live changes still merge
  // whenever it is slower than the peer.
  constexpr std::size_t kApplyWindow = 2;
  std::deque<std::pair<std::uint64_t, std::int64_t>> in_flight;
  bool writing = false;  // a thread is writing to the Apply stream
  bool apply_stop = false;
  pending.set_source_node(peer.name);
  // PeerLink.inbound_lag_ms's start: the oldest batch not yet applied.
  auto note_unapplied = [&] {  // with apply_mu held
    std::lock_guard peer_lock(peer.mu);  // lock order: apply_mu -> peer.mu
    peer.inbound.unapplied_since_us = !in_flight.empty() ? in_flight.front().second
                                      : has_pending      ? pending_sent_us
                                                         : 0;
  };
  // After a failed Write: the peer's stream ends (the caller's own thread may be the handler).
  auto apply_broke = [&] {
    if (!finishing) {
      balancer_lost = true;
      ctx->TryCancel();
    }
  };
  auto done_writing = [&] {
    {
      std::lock_guard lock(apply_mu);
      writing = false;
    }
    apply_cv.notify_all();
  };
  // An older sender wants one Ack per batch: its batches are never merged.
  const std::size_t merge_cap = hello.cumulative_acks() ? options_.limits.max_entries_per_batch : 0;

  std::thread writer([&] {
    ppb::ApplyBatchWire out;
    out.set_source_node(peer.name);
    while (true) {
      {
        std::unique_lock lock(apply_mu);
        apply_cv.wait(lock, [&] {
          return apply_stop || (has_pending && !writing && in_flight.size() < kApplyWindow);
        });
        if (apply_stop) return;
        out.Swap(&pending);
        has_pending = false;
        writing = true;
        in_flight.emplace_back(pending_id, pending_sent_us);
      }
      apply_cv.notify_all();  // the handler may merge into `pending` again
      const bool ok = apply->Write(out);
      if (!ok) apply_broke();
      done_writing();  // also wakes a handler waiting for room in `pending`
      if (!ok) return;
    }
  });
  std::thread acker([&] {
    bpb::ApplyAck a;
    ppb::ReplicateResponse out;
    while (apply->Read(&a)) {
      std::uint64_t id;
      std::int64_t sent_us;
      {
        std::lock_guard lock(apply_mu);
        if (in_flight.empty()) break;
        std::tie(id, sent_us) = in_flight.front();
        in_flight.pop_front();
        note_unapplied();
      }
      apply_cv.notify_all();
      auto* ack = out.mutable_ack();
      ack->Clear();
      ack->set_batch_id(id);
      *ack->mutable_applied() = a.applied();
      ack->mutable_errors()->Swap(a.mutable_errors());
      {
        std::lock_guard lock(peer.mu);
        peer.inbound.lag_ms = unix_ms(clock_.wall()) - sent_us / 1000;
      }
      std::lock_guard lock(write_mu);
      if (!stream->Write(out)) break;
    }
    // The balancer went away (or the peer did): end the peer's stream, so
    // that it reconnects and is told afresh what the balancer holds.
    apply_broke();
    { std::lock_guard lock(apply_mu); }
    apply_cv.notify_all();
  });

  InboundGate gate(peer.name, agreed, options_.limits);
  ppb::ApplyBatchWire direct;  // what the handler writes itself
  direct.set_source_node(peer.name);
  grpc::Status result = grpc::Status::OK;
  while (stream->Read(&req)) {
    last_heard_ms = unix_ms(clock_.wall());
    if (!still_current()) {
      result = grpc::Status(grpc::StatusCode::ABORTED, "a newer stream from the same peer replaced this one, or a "
                                                       "reload removed the peer");
      break;
    }
    if (req.has_hello() + req.has_batch() + req.has_heartbeat() != 1) {
      result = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            req.has_hello() ? "a second Hello" : "a message must carry one of hello, batch, heartbeat");
      break;
    }
    if (req.has_heartbeat()) {
      ppb::ReplicateResponse hb;
      hb.mutable_heartbeat()->set_unix_ms(unix_ms(clock_.wall()));
      std::lock_guard lock(write_mu);
      stream->Write(hb);
      continue;
    }
    if (!req.has_batch()) {
      result = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a second Hello");
      break;
    }
    ppb::Batch& b = *req.mutable_batch();
    auto view = view_of(b);
    if (!view) {
      note_error(view.error().message);
      result = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, view.error().message);
      break;
    }
    if (auto r = gate.check(*view); !r) {
      note_error(r.error().message);
      result = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, r.error().message);
      break;
    }
    {
      std::lock_guard lock(peer.mu);
      ++peer.inbound.batches;
      peer.inbound.entries += b.entries_size();
      peer.inbound.last_unix_ms = unix_ms(clock_.wall());
    }
    {
      std::unique_lock lock(apply_mu);
      apply_cv.wait(lock, [&] {
        return !has_pending ||
               (merge_cap && pending.entries_size() + static_cast<std::size_t>(b.entries_size()) <= merge_cap) ||
               balancer_lost;
      });
      if (balancer_lost) break;
      if (!has_pending && !writing && in_flight.size() < kApplyWindow) {
        // Nothing waits: this thread writes the batch now.
        writing = true;
        in_flight.emplace_back(b.batch_id(), b.sent_unix_us());
        note_unapplied();
        lock.unlock();
        direct.mutable_entries()->Swap(b.mutable_entries());  // keeps both sides' allocations
        *direct.mutable_source_cursor() = b.cursor();
        const bool ok = apply->Write(direct);
        if (!ok) apply_broke();
        done_writing();
        if (!ok) break;
        continue;
      }
      if (!has_pending) {
        pending.mutable_entries()->Swap(b.mutable_entries());  // keeps both sides' allocations
        pending_sent_us = b.sent_unix_us();
        has_pending = true;
        note_unapplied();
      } else {
        // Add() reuses a string cleared earlier (and its capacity); swap moves the bytes.
        for (auto& e : *b.mutable_entries()) pending.add_entries()->swap(e);
      }
      // Applying the merged batch then storing the newest cursor leaves the
      // balancer where applying each in turn would.
      *pending.mutable_source_cursor() = b.cursor();
      pending_id = b.batch_id();
    }
    apply_cv.notify_all();
  }
  if (result.ok() && balancer_lost)
    result = grpc::Status(grpc::StatusCode::UNAVAILABLE, "the local balancer's Apply stream ended");
  finishing = true;
  {
    std::lock_guard lock(apply_mu);
    apply_stop = true;
  }
  apply_cv.notify_all();
  // Batches not yet acked are the peer's to send again (it resumes from what
  // the balancer holds): ending the Apply call here loses nothing.
  apply_ctx.TryCancel();
  writer.join();
  acker.join();
  apply->Finish();
  if (!result.ok()) note_error(result.error_message());
  return result;
}

}  // namespace tandem::peersync
