#include "peersync/service/outbound_driver.h"

#include <utility>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>

#include "common/log.h"
#include "common/stop_and_join.h"
#include "common/strings.h"
#include "common/version.h"
#include "peersync/service/proto_convert.h"

namespace tandem::peersync {

namespace bpb = tandem::balancer::v1;
namespace ppb = tandem::peersync::v1;
using namespace std::chrono_literals;

namespace {
constexpr std::uint32_t kWatchBatch = 8192;  // under InboundLimits' 16384 and 8 MiB
}  // namespace

OutboundDriver::OutboundDriver(std::string node, std::shared_ptr<PeerEntry> peer, config::Peer target,
                               BalancerLink& balancer, TlsMaterial tls, const Clock& clock, PeerNames peer_names)
    : node_(std::move(node)),
      peer_names_(std::move(peer_names)),
      entry_(std::move(peer)),
      peer_(*entry_),
      target_(std::move(target)),
      balancer_(balancer),
      tls_(std::move(tls)),
      clock_(clock),
      rng_(std::random_device{}()) {
  channel_ = grpc::CreateCustomChannel(target_.address.text(), channel_credentials(tls_),
                                      channel_arguments(target_.name, tls_));
  stub_ = ppb::PeerSync::NewStub(channel_);
}

OutboundDriver::~OutboundDriver() { stop(); }

void OutboundDriver::start() {
  thread_ = std::thread([this] { run(); });
}

void OutboundDriver::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (live_) live_->TryCancel();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool OutboundDriver::sleep_for(Millis d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [&] { return stopping_ || redial_; });
  return std::exchange(redial_, false);
}

void OutboundDriver::redial_now() {
  grpc::experimental::ChannelResetConnectionBackoff(channel_.get());
  {
    std::lock_guard lock(mu_);
    redial_ = true;
  }
  cv_.notify_all();
}

void OutboundDriver::run() {
  RandomSource random = [this] { return rng_(); };
  std::string last_why;  // the same failure again is logged at debug level only
  bool peer_is_up = false;  // the peer dialled us while we waited
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    {
      std::lock_guard lock(peer_.mu);
      peer_.link.dialing(clock_.now());
    }
    if (peer_is_up) {
      // The channel may still be in TRANSIENT_FAILURE (its backoff was just
      // reset): a call now would fail at once and put us back to sleep for a
      // whole backoff step. Wait (bounded) for the connection instead.
      channel_->WaitForConnected(std::chrono::system_clock::now() + 1s);
    }
    std::string why = session();
    Millis delay;
    {
      std::lock_guard lock(peer_.mu);
      delay = peer_.link.lost(why, clock_.now(), random);
    }
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    if (why != last_why)
      log::warning("peer ", target_.name, " (", target_.address.text(), "): ", why, "; again in ", delay.count(),
                   " ms");
    else
      log::debug("peer ", target_.name, ": ", why, "; again in ", delay.count(), " ms");
    last_why = why;
    peer_is_up = sleep_for(delay);
  }
}

std::string OutboundDriver::session() {
  auto tables = balancer_.list_tables(2s);
  if (!tables) return tables.error().message;
  // Entries carry the balancer's node name as origin, and the peer filters
  // echoes by the name peersync.conf gives: the two must be one name.
  if (tables->node() != node_)
    return cat("the balancer at ", balancer_.socket(), " says its node is '", tables->node(), "', peersync.conf says '",
               node_, "'");
  LocalView local{tables->instance_id(), tables->head().seq(), replicated(tables->tables())};
  // Peer names the balancer's `peers` sections and peersync.conf do not
  // share: said at each connect while they last (status shows them too).
  {
    std::string words;
    for (const auto& p : peer_name_problems(*tables, node_, peer_names_ ? peer_names_() : std::vector<std::string>{target_.name})) words += words.empty() ? p : cat("; ", p);
    if (!words.empty() && words != last_names_words_)
      log::warning("peer names differ between the balancer and peersync.conf: ", words);
    last_names_words_ = words;
  }

  grpc::ClientContext ctx;
  grpc::ClientContext watch_ctx;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return "stopping";
    live_ = &ctx;
  }
  struct Unlive {
    OutboundDriver* d;
    ~Unlive() {
      std::lock_guard lock(d->mu_);
      d->live_ = nullptr;
    }
  } unlive{this};

  std::mutex write_mu;  // one Write at a time on the stream
  std::mutex why_mu;
  std::string why;  // the first reason the session ends
  auto end_with = [&](std::string reason) {
    {
      std::lock_guard lock(why_mu);
      if (why.empty()) why = std::move(reason);
    }
    ctx.TryCancel();
    watch_ctx.TryCancel();
  };
  auto reason = [&] {
    std::lock_guard lock(why_mu);
    return why;
  };

  auto stream = stub_->Replicate(&ctx);
  // The ticker: heartbeats, a silent peer, a missing Welcome.
  std::atomic<bool> done{false};
  std::atomic<bool> ending{false};  // the peer ended the stream: the pump stops quietly
  std::thread ticker([&] {
    while (!done) {
      std::this_thread::sleep_for(100ms);
      TickActions a;
      {
        std::lock_guard lock(peer_.mu);
        a = peer_.link.tick(clock_.now());
        if (a.send_heartbeat) peer_.link.said(clock_.now());
      }
      if (a.give_up) {
        end_with(*a.give_up);  // cancels both calls: the session ends, its pump stops
        return;
      }
      if (a.send_heartbeat) {
        ppb::ReplicateRequest hb;
        hb.mutable_heartbeat()->set_unix_ms(unix_ms(clock_.wall()));
        // A write under way (perhaps blocked by flow control) says as much as
        // a heartbeat; never wait for it, or a stuck peer would stop the tick.
        std::unique_lock lock(write_mu, std::try_to_lock);
        if (lock.owns_lock()) stream->Write(hb);
      }
    }
  });
  StopAndJoin join_ticker(done, ticker);

  ppb::ReplicateRequest hello;
  hello.mutable_hello()->set_node(node_);
  hello.mutable_hello()->set_balancer_instance_id(local.instance_id);
  hello.mutable_hello()->set_version(kVersion);
  hello.mutable_hello()->set_cumulative_acks(true);
  for (const auto& d : tables->tables())
    if (!d.peers().empty()) *hello.mutable_hello()->add_tables() = d;
  {
    std::lock_guard lock(write_mu);
    if (!stream->Write(hello)) {
      auto st = stream->Finish();
      return reason().empty() ? cat("cannot reach: ", st.error_message()) : reason();
    }
  }
  ppb::ReplicateResponse resp;
  const bool answered = stream->Read(&resp);
  if (!answered || !resp.has_welcome()) {
    if (answered) ctx.TryCancel();  // otherwise the peer ended the call: keep its status
    auto st = stream->Finish();
    if (!reason().empty()) return reason();
    return st.ok() ? "the peer answered without a Welcome" : cat("refused: ", st.error_message());
  }
  WelcomeView w{resp.welcome().node(), from_proto(resp.welcome().holding()), {}, {}};
  for (const auto& d : resp.welcome().tables()) w.tables.push_back(from_proto(d));
  for (const auto& m : resp.welcome().mismatches()) w.mismatches.push_back({m.table(), m.local(), m.remote()});
  Result<StartPlan> plan;
  {
    std::lock_guard lock(peer_.mu);
    plan = peer_.link.welcomed(w, local, clock_.now());
  }
  if (!plan) {
    ctx.TryCancel();
    stream->Finish();
    return plan.error().message;
  }
  for (const auto& m : w.mismatches)
    log::warning("peer ", target_.name, ": table ", m.table, " not replicated: schema here ", m.local, ", there ",
                 m.remote);
  log::info("peer ", target_.name, ": connected, ", plan->full_resync ? "full resync" : "resuming at seq ",
            plan->full_resync ? "" : cat(plan->from.seq));

  // The pump: the reader takes the balancer's Watch batches; when nothing
  // waits and the link allows it (may_send: a live batch when nothing is in
  // flight) it sends the batch itself, at once, with no thread hop. Otherwise
  // the batch goes into `pending`, merging with what is there (live batches),
  // and the sender thread sends `pending` when an ack opens the window. No
  // timer: what accumulates during a round trip is the next batch. One
  // thread writes at a time (`writing`), so batch ids go out in order, and a
  // batch never overtakes `pending`. Messages are swapped, never
  // reallocated: their entries keep their allocations (a resync is 1M).
  std::mutex pump_mu;  // guards the five below; lock order pump_mu -> peer_.mu
  std::condition_variable pump_cv;
  ppb::ReplicateRequest pending;
  BatchSummary pending_sum;
  bool has_pending = false;
  bool writing = false;  // a thread is between sending() and the end of its Write
  bool pump_stop = false;
  auto stopped = [&] { return pump_stop || ending || !reason().empty(); };
  auto wake_pump = [&] {
    { std::lock_guard lock(pump_mu); }  // a waiter between its check and its wait sees this
    pump_cv.notify_all();
  };
  auto may_send = [&](const BatchSummary& s) {
    std::lock_guard link_lock(peer_.mu);
    return peer_.link.may_send(s);
  };
  // Numbers and writes one batch (the caller holds the `writing` turn).
  auto send = [&](ppb::ReplicateRequest& msg, const BatchSummary& s) {
    ppb::Batch* b = msg.mutable_batch();
    b->set_sent_unix_us(
        std::chrono::duration_cast<std::chrono::microseconds>(clock_.wall().time_since_epoch()).count());
    {
      std::lock_guard lock(peer_.mu);
      b->set_batch_id(peer_.link.sending(s, clock_.now()));
    }
    std::lock_guard lock(write_mu);
    if (stream->Write(msg)) return true;
    if (!ending) end_with("the stream to the peer broke");
    return false;
  };
  auto done_writing = [&] {
    {
      std::lock_guard lock(pump_mu);
      writing = false;
    }
    pump_cv.notify_all();
  };
  std::size_t merge_cap;
  {
    std::lock_guard lock(peer_.mu);
    merge_cap = peer_.link.timers().max_merged_entries;
  }
  std::thread reader, sender;
  if (!plan->tables.empty()) {
    reader = std::thread([&] {
      bpb::WatchRequest req;
      *req.mutable_from() = to_proto(plan->from);
      for (const auto& t : plan->tables) req.add_tables(t);
      req.set_peer_node(target_.name);
      // Bigger batches than the balancer's default (1024) during a resync:
      // each batch costs both nodes a round trip, and entries are ~60 bytes.
      // Live batches are as small as the changes read at once, whatever this is.
      req.set_max_batch(kWatchBatch);
      auto watch = balancer_.watch_wire(&watch_ctx, req);
      ppb::WatchBatchWire wb;  // entries stay the balancer's bytes, forwarded as they are
      ppb::ReplicateRequest direct;  // what the reader sends itself
      while (watch->Read(&wb)) {
        BatchSummary s = summarize(wb);
        std::unique_lock lock(pump_mu);
        pump_cv.wait(lock, [&] {
          return !has_pending || mergeable(pending_sum, s, merge_cap) || stopped();
        });
        if (stopped()) break;
        const bool now = !has_pending && !writing && may_send(s);
        if (now) writing = true;
        ppb::Batch* b = now ? direct.mutable_batch() : pending.mutable_batch();
        if (now || !has_pending) {
          b->clear_cursor();
          b->set_snapshot_begin(wb.snapshot_begin());
          b->set_snapshot_end(wb.snapshot_end());
          b->mutable_entries()->Swap(wb.mutable_entries());  // keeps both sides' allocations
        } else {
          // Add() reuses a string cleared earlier (and its capacity); swap moves the bytes.
          for (auto& e : *wb.mutable_entries()) b->add_entries()->swap(e);
        }
        *b->mutable_cursor() = wb.cursor();
        if (now) {
          lock.unlock();
          if (!send(direct, s)) break;
          done_writing();
          continue;
        }
        if (has_pending) {
          merge_into(pending_sum, s);
        } else {
          pending_sum = std::move(s);
          has_pending = true;
        }
        lock.unlock();
        pump_cv.notify_all();
      }
      auto st = watch->Finish();
      if (!ending) end_with(cat("balancer Watch ended: ", st.ok() ? "by the balancer" : st.error_message()));
      wake_pump();
    });
    sender = std::thread([&] {
      ppb::ReplicateRequest out;
      while (true) {
        BatchSummary s;
        {
          std::unique_lock lock(pump_mu);
          pump_cv.wait(lock, [&] { return stopped() || (has_pending && !writing && may_send(pending_sum)); });
          if (stopped()) break;
          out.Swap(&pending);
          s = std::move(pending_sum);
          has_pending = false;
          writing = true;
        }
        pump_cv.notify_all();  // the reader may fill `pending` again
        if (!send(out, s)) break;
        done_writing();
      }
      wake_pump();
    });
  }

  // This thread: acks and heartbeats from the peer.
  while (stream->Read(&resp)) {
    Result<void> r;
    {
      std::lock_guard lock(peer_.mu);
      peer_.link.heard(clock_.now());
      if (resp.has_heartbeat()) {
        peer_.last_heartbeat_unix_ms = resp.heartbeat().unix_ms();
        continue;
      }
      if (!resp.has_ack()) continue;
      const auto& a = resp.ack();
      r = peer_.link.acked({a.batch_id(), from_proto(a.applied()), static_cast<std::size_t>(a.errors_size()),
                            a.errors_size() ? a.errors(0) : std::string()},
                           clock_.now());
    }
    if (!r) {
      end_with(r.error().message);
      break;
    }
    wake_pump();  // the sender may send again (peer_.mu released: lock order)
  }
  // The peer's side is over: stop the pump without making its Watch's end
  // the reason, then read the call's status.
  ending = true;
  watch_ctx.TryCancel();
  {
    std::lock_guard lock(pump_mu);
    pump_stop = true;
  }
  pump_cv.notify_all();
  if (reader.joinable()) reader.join();
  if (sender.joinable()) sender.join();
  auto st = stream->Finish();
  end_with(st.ok() ? "the peer closed the stream" : cat("stream: ", st.error_message()));
  return reason();
}

}  // namespace tandem::peersync
