#include "common/grpc/health_service.h"

namespace tandem {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// One Watch stream. Lives until gRPC calls OnDone, which only happens after we
// called Finish; every field is guarded by the service's mutex.
class HealthService::Watcher final : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  Watcher(HealthService* service, bool known) : service_(service), known_(known) {}

  // Queues `status` for the client; writes at once when no write is in flight.
  // Caller holds service_->mutex_.
  void push(Status status) {
    pending_ = known_ ? status : HealthCheckResponse::SERVICE_UNKNOWN;
    has_pending_ = true;
    pump();
  }

  // Ends the stream once any write in flight completes. Caller holds the mutex.
  void finish(grpc::Status end = grpc::Status::OK) {
    end_ = std::move(end);
    finish_requested_ = true;
    pump();
  }

  // A status not yet written is not sent (a hand-over). Caller holds the mutex.
  void drop_pending() { has_pending_ = false; }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(service_->mutex_);
    writing_ = false;
    if (!ok) gone_ = finish_requested_ = true;  // the client went away
    pump();
  }

  void OnCancel() override {
    std::lock_guard lock(service_->mutex_);
    gone_ = finish_requested_ = true;
    pump();
  }

  void OnDone() override {
    {
      std::lock_guard lock(service_->mutex_);
      service_->watchers_.erase(this);
    }
    delete this;
  }

 private:
  // A change still to send goes out before the stream ends (shutdown's
  // NOT_SERVING may arrive while the previous write is in flight), unless
  // the client is gone.
  void pump() {
    if (writing_ || finished_) return;
    const bool unsent = has_pending_ && (!sent_any_ || pending_ != last_sent_);
    if (finish_requested_ && (gone_ || !unsent)) {
      finished_ = true;
      Finish(end_);
      return;
    }
    if (unsent) {
      has_pending_ = false;
      writing_ = true;
      sent_any_ = true;
      last_sent_ = pending_;
      response_.set_status(pending_);
      StartWrite(&response_);
    }
  }

  HealthService* service_;
  bool known_;
  HealthCheckResponse response_;
  grpc::Status end_;
  Status pending_ = HealthCheckResponse::UNKNOWN;
  Status last_sent_ = HealthCheckResponse::UNKNOWN;
  bool has_pending_ = false;
  bool sent_any_ = false;
  bool writing_ = false;
  bool finish_requested_ = false;
  bool gone_ = false;  // cancelled, or a write failed: nothing more can be sent
  bool finished_ = false;
};

HealthService::HealthService(std::set<std::string> services)
    : services_(std::move(services)), status_(HealthCheckResponse::NOT_SERVING) {}

HealthService::~HealthService() { shutdown(); }

void HealthService::set_status(Status status) {
  std::lock_guard lock(mutex_);
  if (shut_down_) return;
  status_ = status;
  for (Watcher* w : std::set<Watcher*>(watchers_)) w->push(status);
}

HealthService::Status HealthService::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

void HealthService::shutdown() {
  std::lock_guard lock(mutex_);
  if (shut_down_) return;
  status_ = HealthCheckResponse::NOT_SERVING;
  shut_down_ = true;
  // Copy: a watcher may erase itself from watchers_ inline.
  for (Watcher* w : std::set<Watcher*>(watchers_)) {
    w->push(status_);
    w->finish();
  }
}

void HealthService::hand_over() {
  std::lock_guard lock(mutex_);
  if (shut_down_) return;
  shut_down_ = handed_over_ = true;
  for (Watcher* w : std::set<Watcher*>(watchers_)) {
    w->drop_pending();
    w->finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(kHealthHandover)));
  }
}

grpc::ServerUnaryReactor* HealthService::Check(grpc::CallbackServerContext* context,
                                               const HealthCheckRequest* request,
                                               HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!known(request->service())) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service"));
    return reactor;
  }
  response->set_status(status());
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerWriteReactor<HealthCheckResponse>* HealthService::Watch(grpc::CallbackServerContext*,
                                                                     const HealthCheckRequest* request) {
  auto* w = new Watcher(this, known(request->service()));
  std::lock_guard lock(mutex_);
  watchers_.insert(w);
  if (handed_over_) {
    w->finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(kHealthHandover)));
    return w;
  }
  w->push(status_);
  if (shut_down_) w->finish();
  return w;
}

}  // namespace tandem
