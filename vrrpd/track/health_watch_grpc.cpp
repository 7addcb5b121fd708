#include "vrrpd/track/health_watch_grpc.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <asio/post.hpp>
#include <condition_variable>
#include <mutex>

#include "common/grpc/health_service.h"
#include "common/strings.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace tandem::vrrpd::track {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

namespace {
// After a break, try again this soon: the balancer restarting must be seen
// quickly, and a local unix socket costs nothing to retry.
constexpr auto kRetry = std::chrono::milliseconds(100);
}  // namespace

class WatchCall;

// Shared between the watch (control thread) and its call (gRPC threads).
struct GrpcHealthWatch::Shared {
  std::mutex mutex;
  std::condition_variable ended;
  asio::io_context* io = nullptr;  // nullptr once the watch is gone
  GrpcHealthWatch* owner = nullptr;
  WatchCall* current = nullptr;
  std::unique_ptr<grpc::health::v1::Health::Stub> stub;  // control thread only; lives as long as calls may

  // From any thread: runs `f(owner)` on the control thread if the watch still exists.
  template <typename F>
  void post(std::shared_ptr<Shared> self, F f) {
    std::lock_guard lock(mutex);
    if (!io) return;
    asio::post(*io, [self = std::move(self), f = std::move(f)] {
      GrpcHealthWatch* o = nullptr;
      {
        std::lock_guard lock(self->mutex);
        o = self->owner;
      }
      if (o) f(*o);
    });
  }
};

class WatchCall final : public grpc::ClientReadReactor<HealthCheckResponse> {
 public:
  WatchCall(std::shared_ptr<GrpcHealthWatch::Shared> s, int generation) : s_(std::move(s)), generation_(generation) {}

  void start(grpc::health::v1::Health::Stub& stub) {
    stub.async()->Watch(&ctx_, &req_, this);
    StartRead(&resp_);
    StartCall();
  }
  void cancel() { ctx_.TryCancel(); }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream is ending: OnDone follows
    const auto st = resp_.status();
    const WatchStatus status = st == HealthCheckResponse::SERVING ? WatchStatus::serving : WatchStatus::not_serving;
    std::string word = HealthCheckResponse::ServingStatus_Name(st);
    const int g = generation_;
    s_->post(s_, [g, status, word](GrpcHealthWatch& w) { w.on_status(g, status, word); });
    StartRead(&resp_);
  }

  void OnDone(const grpc::Status& st) override {
    std::string why =
        st.ok() ? std::string("stream ended") : cat(st.error_message(), " (code ", int(st.error_code()), ")");
    const int g = generation_;
    auto s = s_;
    // A balancer handing its socket to a new process (binary upgrade): watch
    // the new one at once; only its answer (or its silence) counts.
    if (st.error_code() == grpc::StatusCode::UNAVAILABLE && st.error_message() == kHealthHandover)
      s->post(s, [g](GrpcHealthWatch& w) { w.on_handover(g); });
    else
      s->post(s, [g, why](GrpcHealthWatch& w) { w.on_status(g, WatchStatus::broken, why); });
    {
      std::lock_guard lock(s->mutex);
      if (s->current == this) s->current = nullptr;
    }
    s->ended.notify_all();
    delete this;
  }

 private:
  std::shared_ptr<GrpcHealthWatch::Shared> s_;
  int generation_;
  grpc::ClientContext ctx_;
  HealthCheckRequest req_;
  HealthCheckResponse resp_;
};

GrpcHealthWatch::GrpcHealthWatch(asio::io_context& io, std::string socket, config::Micros first_answer_timeout)
    : s_(std::make_shared<Shared>()),
      socket_(std::move(socket)),
      first_answer_timeout_(first_answer_timeout),
      retry_(io),
      deadline_(io) {
  s_->io = &io;
  s_->owner = this;
}

GrpcHealthWatch::~GrpcHealthWatch() {
  stop();
  std::unique_lock lock(s_->mutex);
  s_->owner = nullptr;
  // The call must end before the io_context it posts to can go away; a
  // cancelled call ends promptly, but never wait forever on a stuck library.
  s_->ended.wait_for(lock, std::chrono::seconds(2), [&] { return s_->current == nullptr; });
  s_->io = nullptr;
}

void GrpcHealthWatch::start(Listener listener) {
  listener_ = std::move(listener);
  stopped_ = false;
  connect();
}

void GrpcHealthWatch::stop() {
  if (stopped_) return;
  stopped_ = true;
  ++generation_;
  retry_.cancel();
  deadline_.cancel();
  std::lock_guard lock(s_->mutex);
  if (s_->current) s_->current->cancel();
}

void GrpcHealthWatch::connect() {
  if (!channel_) {
    grpc::ChannelArguments args;
    // Reconnect fast: a restarted balancer must be noticed in ~100 ms.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
    channel_ = grpc::CreateCustomChannel("unix:" + socket_, grpc::InsecureChannelCredentials(), args);
    s_->stub = grpc::health::v1::Health::NewStub(channel_);
  }
  const int g = ++generation_;
  auto* call = new WatchCall(s_, g);
  {
    std::lock_guard lock(s_->mutex);
    s_->current = call;
  }
  // The first answer must come within the timeout: a balancer that accepts
  // the connection but never answers is not healthy.
  std::weak_ptr<bool> alive = alive_;
  deadline_.expires_after(first_answer_timeout_);
  deadline_.async_wait([this, alive, g](asio::error_code ec) {
    if (ec || alive.expired() || g != generation_) return;
    std::lock_guard lock(s_->mutex);
    if (s_->current) s_->current->cancel();
  });
  call->start(*s_->stub);
}

void GrpcHealthWatch::on_status(int generation, WatchStatus status, const std::string& detail) {
  if (stopped_ || generation != generation_) return;
  if (status != WatchStatus::broken) handovers_ = 0;
  deadline_.cancel();
  if (status == WatchStatus::broken) {
    ++generation_;  // anything still in flight from the dead call is stale
    std::weak_ptr<bool> alive = alive_;
    retry_.expires_after(kRetry);
    retry_.async_wait([this, alive](asio::error_code ec) {
      if (!ec && !alive.expired() && !stopped_) connect();
    });
  }
  if (listener_) listener_(status, detail);
}

void GrpcHealthWatch::on_handover(int generation) {
  if (stopped_ || generation != generation_) return;
  // Hand-overs with no answer in between: nobody new is there.
  if (++handovers_ > 3) {
    on_status(generation, WatchStatus::broken, "handed over to no process");
    return;
  }
  // The listener hears nothing: the new call's first answer says SERVING
  // (no change), NOT_SERVING, or fails within the first-answer timeout
  // (broken), as a fresh connection would.
  ++generation_;
  // A new channel: the old one's connection still reaches the old process,
  // which would answer with the hand-over again.
  channel_.reset();
  connect();
}

HealthWatchFactory grpc_health_watch_factory(asio::io_context& io) {
  return [&io](const std::string& socket, config::Micros timeout) -> std::unique_ptr<HealthWatch> {
    return std::make_unique<GrpcHealthWatch>(io, socket, timeout);
  };
}

}  // namespace tandem::vrrpd::track
