#include "vrrpd/admin/vrrp_service.h"

#include <asio/post.hpp>
#include <deque>

namespace tandem::vrrpd::admin {

namespace v1 = tandem::vrrp::v1;

namespace {

v1::State state_of(fsm::State s) {
  switch (s) {
    case fsm::State::init:
      return v1::STATE_INIT;
    case fsm::State::backup:
      return v1::STATE_BACKUP;
    case fsm::State::master:
      return v1::STATE_MASTER;
    case fsm::State::fault:
      return v1::STATE_FAULT;
    case fsm::State::stopped:
      return v1::STATE_STOPPED;
  }
  return v1::STATE_UNSPECIFIED;
}

v1::TrackerKind kind_of(track::TrackerKind k) {
  switch (k) {
    case track::TrackerKind::script:
      return v1::TRACKER_KIND_SCRIPT;
    case track::TrackerKind::interface:
      return v1::TRACKER_KIND_INTERFACE;
    case track::TrackerKind::balancer:
      return v1::TRACKER_KIND_BALANCER;
  }
  return v1::TRACKER_KIND_UNSPECIFIED;
}

void share_to_proto(const track::TrackerShare& s, v1::PriorityShare* out) {
  out->set_tracker(s.input.name);
  out->set_kind(kind_of(s.input.kind));
  out->set_ok(s.input.ok);
  out->set_delta(s.delta);
  out->set_causes_fault(s.causes_fault);
  out->set_detail(s.input.detail);
}

}  // namespace

void to_proto(const runtime::TransitionRecord& t, v1::Transition* out) {
  out->set_instance(t.instance);
  out->set_from(state_of(t.from));
  out->set_to(state_of(t.to));
  out->set_reason(t.reason);
  out->set_unix_ms(unix_ms(t.when));
}

void to_proto(const runtime::InstanceStatus& s, v1::Instance* out) {
  out->set_name(s.name);
  out->set_interface(s.interface);
  out->set_vrid(static_cast<std::uint32_t>(s.vrid));
  out->set_version(static_cast<std::uint32_t>(s.version));
  out->set_state(state_of(s.state));
  out->set_state_since_unix_ms(unix_ms(s.state_since));
  out->set_configured_priority(static_cast<std::uint32_t>(s.configured_priority));
  out->set_effective_priority(static_cast<std::uint32_t>(s.effective_priority));
  for (const auto& sh : s.shares) share_to_proto(sh, out->add_priority_shares());
  for (const auto& v : s.vips) out->add_vips(v);
  out->set_vips_held(s.vips_held);
  out->set_master_address(s.master_address);
  out->set_master_priority(static_cast<std::uint32_t>(s.master_priority));
  out->set_advert_interval_ms(static_cast<std::uint32_t>(s.advert_interval_ms));
  out->set_preempt(s.preempt);
  out->set_preempt_delay_ms(static_cast<std::uint32_t>(s.preempt_delay_ms));
  for (const auto& p : s.unicast_peers) out->add_unicast_peers(p);
  out->set_sync_group(s.sync_group);
  out->set_fault_reason(s.fault_reason);
  out->set_accept(s.accept);
  auto* c = out->mutable_counters();
  c->set_adverts_received(s.counters.adverts_received);
  c->set_adverts_sent(s.counters.adverts_sent);
  c->set_priority_zero_received(s.counters.priority_zero_received);
  c->set_priority_zero_sent(s.counters.priority_zero_sent);
  c->set_became_master(s.counters.became_master);
  c->set_released_master(s.counters.released_master);
  for (int i = 0; i < packet::kDropReasonCount; ++i) {
    if (s.counters.drops[i] == 0) continue;
    auto* d = c->add_drops();
    d->set_reason(std::string(packet::drop_reason_name(static_cast<packet::DropReason>(i))));
    d->set_count(s.counters.drops[i]);
  }
  for (const auto& t : s.recent) to_proto(t, out->add_recent_transitions());
}

// One WatchEvents stream: a queue written one message at a time.
class VrrpService::EventStream final : public grpc::ServerWriteReactor<v1::VrrpEvent> {
 public:
  // Initial metadata goes out at once: a client that waits for it knows its
  // stream is registered and will miss no event from then on.
  explicit EventStream(VrrpService* s) : service_(s) { StartSendInitialMetadata(); }

  // Caller holds the service's mutex.
  void push(v1::VrrpEvent e) {
    if (queue_.size() >= kMaxQueued) {
      finish_ = true;  // a client this slow gets its stream closed, not our memory
    } else {
      queue_.push_back(std::move(e));
    }
    pump();
  }
  void finish() {
    finish_ = true;
    pump();
  }
  void OnWriteDone(bool ok) override {
    std::lock_guard lock(service_->mutex_);
    writing_ = false;
    if (!ok) finish_ = true;
    pump();
  }
  void OnCancel() override {
    std::lock_guard lock(service_->mutex_);
    finish_ = true;
    pump();
  }
  void OnDone() override {
    {
      std::lock_guard lock(service_->mutex_);
      service_->streams_.erase(this);
    }
    delete this;
  }

 private:
  static constexpr std::size_t kMaxQueued = 4096;
  void pump() {
    if (writing_ || finished_) return;
    if (!queue_.empty()) {
      current_ = std::move(queue_.front());
      queue_.pop_front();
      writing_ = true;
      StartWrite(&current_);
      return;
    }
    if (finish_) {
      finished_ = true;
      Finish(grpc::Status::OK);
    }
  }
  VrrpService* service_;
  std::deque<v1::VrrpEvent> queue_;
  v1::VrrpEvent current_;
  bool writing_ = false;
  bool finish_ = false;
  bool finished_ = false;
};

void VrrpService::bind(asio::io_context& io, Hooks hooks) {
  hooks_ = std::move(hooks);
  io_.store(&io);  // publishes hooks_ to the threads that load io_
}

bool VrrpService::ready(grpc::ServerUnaryReactor* reactor) {
  if (io_.load()) return true;
  reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "starting"));
  return false;
}

VrrpService::~VrrpService() { shutdown(); }

void VrrpService::shutdown() {
  std::lock_guard lock(mutex_);
  shut_down_ = true;
  for (EventStream* s : std::set<EventStream*>(streams_)) s->finish();
}

void VrrpService::publish(const runtime::Event& e) {
  v1::VrrpEvent ev;
  ev.set_instance(e.instance);
  if (e.is_transition)
    to_proto(e.transition, ev.mutable_transition());
  else
    share_to_proto(e.tracker, ev.mutable_tracker());
  std::lock_guard lock(mutex_);
  for (EventStream* s : std::set<EventStream*>(streams_)) s->push(ev);
}

grpc::ServerUnaryReactor* VrrpService::ListInstances(grpc::CallbackServerContext* ctx, const v1::ListInstancesRequest*,
                                                     v1::ListInstancesResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  if (!ready(reactor)) return reactor;
  asio::post(*io_.load(), [this, reactor, resp] {
    runtime::Status s = hooks_.status();
    resp->set_router_id(s.router_id);
    for (const auto& i : s.instances) to_proto(i, resp->add_instances());
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerWriteReactor<v1::VrrpEvent>* VrrpService::WatchEvents(grpc::CallbackServerContext*,
                                                                  const v1::WatchEventsRequest*) {
  auto* s = new EventStream(this);
  std::lock_guard lock(mutex_);
  streams_.insert(s);
  if (shut_down_) s->finish();
  return s;
}

grpc::ServerUnaryReactor* VrrpService::Failover(grpc::CallbackServerContext* ctx, const v1::FailoverRequest* req,
                                                v1::FailoverResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  std::string instance = req->instance();
  if (!ready(reactor)) return reactor;
  asio::post(*io_.load(), [this, reactor, resp, instance] {
    auto released = hooks_.failover(instance);
    if (!released) return reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, released.error().message));
    for (const auto& n : *released) resp->add_released(n);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* VrrpService::Reload(grpc::CallbackServerContext* ctx, const v1::ReloadRequest*,
                                              v1::ReloadResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  if (!ready(reactor)) return reactor;
  asio::post(*io_.load(), [this, reactor, resp] {
    auto r = hooks_.reload();
    resp->set_ok(r.has_value());
    if (!r) resp->set_error(r.error().message);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

}  // namespace tandem::vrrpd::admin
