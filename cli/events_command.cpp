// tandemctl events: the balancer's WatchEvents and vrrpd's WatchEvents,
// followed together until Ctrl-C. Each stream has its own thread; a daemon
// that is down or goes away is retried every second, so a restart shows up
// as "lost" then "watching" again on stderr, while stdout carries only events.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "cli/balancer_view.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/rpc.h"
#include "cli/table.h"
#include "cli/vrrp_view.h"
#include "common/strings.h"

namespace tandem::cli {

namespace pb = tandem::balancer::v1;
namespace v1 = tandem::vrrp::v1;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// stdout and stderr shared by the two stream threads: whole lines, flushed at
// once so that a pipe sees each event as it happens.
class Output {
 public:
  void event(const std::string& line) {
    std::lock_guard lock(mutex_);
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
  }
  void note(const std::string& line) {
    std::lock_guard lock(mutex_);
    std::fprintf(stderr, "tandemctl: %s\n", line.c_str());
    std::fflush(stderr);
  }

 private:
  std::mutex mutex_;
};

std::string balancer_line(const pb::BalancerEvent& e, bool json, bool color) {
  JsonWriter j;
  j.begin_object().key("source").value("balancer").key("unix_ms").value(static_cast<long long>(e.unix_ms()));
  std::string what;
  if (e.has_server()) {
    const pb::ServerStateChange& s = e.server();
    j.key("type").value("server").key("backend").value(s.backend()).key("server").value(s.server());
    j.key("from").value(server_state_word(s.from())).key("to").value(server_state_word(s.to()));
    j.key("reason").value(s.reason());
    what = cat("server ", s.backend(), '/', s.server(), ' ', server_state_word(s.from()), " -> ",
               colored(server_state_word(s.to()), color), s.reason().empty() ? "" : cat(" (", s.reason(), ')'));
  } else if (e.has_readiness()) {
    const pb::ReadinessChange& r = e.readiness();
    j.key("type").value("readiness").key("ready").value(r.ready()).key("reason").value(r.reason());
    what = cat(colored(r.ready() ? "ready" : "NOT READY", color), r.reason().empty() ? "" : cat(" (", r.reason(), ')'));
  } else if (e.has_reload()) {
    const pb::ReloadResult& r = e.reload();
    j.key("type").value("reload").key("ok").value(r.ok()).key("error").value(r.error());
    what = r.ok() ? "reload ok" : cat("reload failed: ", r.error());
  } else {
    j.key("type").value("unknown");
    what = "an event this tandemctl does not know";
  }
  j.end_object();
  return json ? j.str() : cat(utc_time_text(e.unix_ms()), "  balancer  ", what, '\n');
}

std::string vrrp_line(const v1::VrrpEvent& e, bool json, bool color) {
  JsonWriter j;
  std::int64_t when = e.has_transition() && e.transition().unix_ms() ? e.transition().unix_ms() : now_ms();
  j.begin_object().key("source").value("vrrpd").key("unix_ms").value(static_cast<long long>(when));
  j.key("instance").value(e.instance());
  std::string what;
  if (e.has_transition()) {
    const v1::Transition& t = e.transition();
    j.key("type").value("transition").key("from").value(vrrp_state_word(t.from()));
    j.key("to").value(vrrp_state_word(t.to())).key("reason").value(t.reason());
    what = cat(e.instance(), ' ', vrrp_state_word(t.from()), " -> ", colored(vrrp_state_word(t.to()), color),
               t.reason().empty() ? "" : cat(" (", t.reason(), ')'));
  } else if (e.has_tracker()) {
    const v1::PriorityShare& s = e.tracker();
    j.key("type").value("tracker").key("tracker").value(s.tracker()).key("kind").value(tracker_kind_word(s.kind()));
    j.key("ok").value(s.ok()).key("delta").value(s.delta()).key("causes_fault").value(s.causes_fault());
    j.key("detail").value(s.detail());
    // "VI_1 tracker chk failing (exit 1), priority -20"; "... causes FAULT".
    what = cat(e.instance(), " tracker ", s.tracker(), s.ok() ? " ok" : " failing",
               s.detail().empty() || s.ok() ? "" : cat(" (", s.detail(), ')'), s.causes_fault() ? ", causes FAULT" : "",
               s.delta() ? cat(", priority ", s.delta() > 0 ? "+" : "", s.delta()) : "");
  } else {
    j.key("type").value("unknown");
    what = cat(e.instance(), " an event this tandemctl does not know");
  }
  j.end_object();
  return json ? j.str() : cat(utc_time_text(when), "  vrrpd     ", what, '\n');
}

// One daemon's event stream, reconnected until stop().
class Follower {
 public:
  enum class First { pending, watching, failed };

  Follower(const char* daemon, std::string socket, Output& out, bool json, bool color)
      : daemon_(daemon), socket_(std::move(socket)), out_(out), json_(json), color_(color) {}

  void start() {
    thread_ = std::thread([this] { run(); });
  }

  void stop() {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (ctx_) ctx_->TryCancel();
    cv_.notify_all();
  }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  // The result of the first attempt, once known.
  First wait_first() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return first_ != First::pending; });
    return first_;
  }

 private:
  void set_first(First f) {
    std::lock_guard lock(mutex_);
    if (first_ == First::pending) first_ = f;
    cv_.notify_all();
  }
  bool stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

  // A unary call first: it tells "not running" from "watching" in words; a
  // stream's failure would only show once the stream is read.
  grpc::Status probe(const std::shared_ptr<grpc::Channel>& ch) {
    grpc::ClientContext ctx;
    with_deadline(ctx, std::chrono::seconds(2));
    if (std::string(daemon_) == "balancer") {
      pb::BalancerStatus r;
      return pb::Admin::NewStub(ch)->GetStatus(&ctx, {}, &r);
    }
    v1::ListInstancesResponse r;
    return v1::Vrrp::NewStub(ch)->ListInstances(&ctx, {}, &r);
  }

  template <class Event, class Stub, class Request>
  grpc::Status follow(Stub& stub, std::string (*line)(const Event&, bool, bool)) {
    grpc::ClientContext ctx;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return grpc::Status::CANCELLED;
      ctx_ = &ctx;
    }
    auto reader = stub.WatchEvents(&ctx, Request{});
    // Both daemons send initial metadata once the stream is registered: from
    // here on no event is missed (tests wait for this line).
    reader->WaitForInitialMetadata();
    if (!stopping()) out_.note(cat("watching the ", daemon_, " at ", socket_));
    Event e;
    while (reader->Read(&e)) out_.event(line(e, json_, color_));
    grpc::Status s = reader->Finish();
    std::lock_guard lock(mutex_);
    ctx_ = nullptr;
    return s;
  }

  void run() {
    bool down_reported = false;
    while (!stopping()) {
      // A fresh channel per attempt: a channel that failed backs off its own
      // reconnects for up to minutes, and a restarted daemon must be seen at once.
      auto ch = channel_to(socket_);
      grpc::Status p = probe(ch);
      if (!p.ok()) {
        if (!down_reported) out_.note(rpc_error_text(daemon_, socket_, p) + "; retrying every second");
        down_reported = true;
        set_first(First::failed);
      } else {
        down_reported = false;
        set_first(First::watching);
        grpc::Status s;
        if (std::string(daemon_) == "balancer") {
          auto stub = pb::Admin::NewStub(ch);
          s = follow<pb::BalancerEvent, pb::Admin::Stub, pb::WatchEventsRequest>(*stub, balancer_line);
        } else {
          auto stub = v1::Vrrp::NewStub(ch);
          s = follow<v1::VrrpEvent, v1::Vrrp::Stub, v1::WatchEventsRequest>(*stub, vrrp_line);
        }
        if (stopping()) break;
        out_.note(cat("lost the ", daemon_, " at ", socket_, s.ok() ? ": the stream ended" : ": ", s.error_message(),
                      "; retrying every second"));
        down_reported = true;
      }
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
    }
  }

  const char* daemon_;
  std::string socket_;
  Output& out_;
  bool json_, color_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  grpc::ClientContext* ctx_ = nullptr;  // the stream being read; guarded by mutex_
  bool stopping_ = false;
  First first_ = First::pending;
};

}  // namespace

int cmd_events(const Options& o) {
  if (o.command.size() != 1) {
    std::fprintf(stderr, "tandemctl: usage: events\n");
    return kUsage;
  }
  // SIGINT and SIGTERM are taken by sigwait below, in this thread only: the
  // stream threads inherit the blocked mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Output out;
  const bool color = !o.json && stdout_is_terminal();
  Follower balancer("balancer", o.balancer_socket, out, o.json, color);
  Follower vrrpd("vrrpd", o.vrrpd_socket, out, o.json, color);
  balancer.start();
  vrrpd.start();
  int rc = kOk;
  if (balancer.wait_first() == Follower::First::failed && vrrpd.wait_first() == Follower::First::failed) {
    out.note("neither daemon can be reached: nothing to follow");
    rc = kUsage;
  } else {
    int signo = 0;
    sigwait(&stop_signals, &signo);
  }
  balancer.stop();
  vrrpd.stop();
  balancer.join();
  vrrpd.join();
  return rc;
}

}  // namespace tandem::cli
