#include "balancer/admin/admin_service.h"

#include <chrono>

#include "balancer/admin/stick_admin.h"
#include "balancer/admin/stick_codec.h"
#include "balancer/stick/stick_time.h"
#include "common/clock.h"
#include "common/strings.h"
#include "common/version.h"

namespace tandem::balancer::admin {

namespace pb = tandem::balancer::v1;
using runtime::Ctr;

namespace {

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

pb::Mode mode_of(config::Mode m) { return m == config::Mode::http ? pb::MODE_HTTP : pb::MODE_TCP; }

void fill_counters(runtime::Counters& c, runtime::SessionGauge& g, std::uint64_t limit, pb::Counters* out) {
  out->set_current_sessions(g.current());
  out->set_max_sessions(g.max());
  out->set_session_limit(limit);
  out->set_total_sessions(c.sum(Ctr::sessions_total));
  out->set_bytes_in(c.sum(Ctr::bytes_in));
  out->set_bytes_out(c.sum(Ctr::bytes_out));
  out->set_denied_requests(c.sum(Ctr::denied_requests));
  out->set_request_errors(c.sum(Ctr::request_errors));
  out->set_connection_errors(c.sum(Ctr::connection_errors));
  out->set_response_errors(c.sum(Ctr::response_errors));
  out->set_retries(c.sum(Ctr::retries));
  out->set_redispatches(c.sum(Ctr::redispatches));
  out->set_http_requests(c.sum(Ctr::http_requests));
  out->set_http_1xx(c.sum(Ctr::http_1xx));
  out->set_http_2xx(c.sum(Ctr::http_2xx));
  out->set_http_3xx(c.sum(Ctr::http_3xx));
  out->set_http_4xx(c.sum(Ctr::http_4xx));
  out->set_http_5xx(c.sum(Ctr::http_5xx));
  out->set_http_other(c.sum(Ctr::http_other));
  out->set_tls_handshake_errors(c.sum(Ctr::tls_handshake_errors));
}

pb::ServerState state_of(const runtime::Server& s) {
  switch (s.state()) {
    case runtime::ServerState::up: return s.starting() ? pb::SERVER_STATE_STARTING : pb::SERVER_STATE_UP;
    case runtime::ServerState::down: return pb::SERVER_STATE_DOWN;
    case runtime::ServerState::maint: return pb::SERVER_STATE_MAINT;
    case runtime::ServerState::drain: return pb::SERVER_STATE_DRAIN;
    case runtime::ServerState::nolb: return pb::SERVER_STATE_NOLB;
  }
  return pb::SERVER_STATE_UNSPECIFIED;
}

pb::AdminState admin_of(runtime::AdminState a) {
  switch (a) {
    case runtime::AdminState::ready: return pb::ADMIN_STATE_READY;
    case runtime::AdminState::drain: return pb::ADMIN_STATE_DRAIN;
    case runtime::AdminState::maint: return pb::ADMIN_STATE_MAINT;
  }
  return pb::ADMIN_STATE_UNSPECIFIED;
}

}  // namespace

AdminService::AdminService(GenerationProvider generation, Reloader reload, EventBus& events,
                           stick::StickRegistry& sticks, ProcessInfo info)
    : generation_(std::move(generation)),
      reload_(std::move(reload)),
      events_(events),
      sticks_(sticks),
      info_(std::move(info)),
      config_loaded_unix_ms_(info_.started_unix_ms) {}

void AdminService::note_reload(bool ok, std::string error, std::int64_t unix_ms) {
  std::lock_guard lock(mutex_);
  if (ok) {
    ++reloads_;
    config_loaded_unix_ms_ = unix_ms;
    last_reload_error_.clear();
  } else {
    last_reload_error_ = std::move(error);
  }
}

grpc::Status AdminService::Reload(grpc::ServerContext*, const pb::ReloadRequest*, pb::ReloadResponse* out) {
  if (!reload_) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "reload is not available");
  std::string error = reload_();
  out->set_ok(error.empty());
  out->set_error(error);
  return grpc::Status::OK;
}

grpc::Status AdminService::ListTables(grpc::ServerContext*, const pb::ListTablesRequest*, pb::ListTablesResponse* out) {
  sticks_.collect();  // so that last_seq and the head are current
  out->set_instance_id(sticks_.instance_id());
  out->set_node(sticks_.node());
  for (const auto& t : sticks_.tables()) {
    pb::StickTableDef* d = out->add_tables();
    to_proto(t->def(), d);
    d->set_entries(t->entries());
    d->set_last_seq(t->last_seq());
  }
  *out->mutable_head() = to_proto(stick::Cursor{sticks_.instance_id(), sticks_.log().head()});
  return grpc::Status::OK;
}

grpc::Status AdminService::ShowTable(grpc::ServerContext*, const pb::ShowTableRequest* req, pb::ShowTableResponse* out) {
  return show_table(sticks_, *req, stick::stick_now(SystemClock::instance()), out);
}

grpc::Status AdminService::ClearTable(grpc::ServerContext*, const pb::ClearTableRequest* req, pb::ClearTableResponse* out) {
  return clear_table(sticks_, *req, stick::stick_now(SystemClock::instance()), out);
}

grpc::Status AdminService::SetTableEntry(grpc::ServerContext*, const pb::SetTableEntryRequest* req, pb::StickEntry* out) {
  return set_table_entry(sticks_, *req, stick::stick_now(SystemClock::instance()), out);
}

void AdminService::set_ready(bool ready, std::string reason) {
  std::lock_guard lock(mutex_);
  ready_ = ready;
  not_ready_reason_ = std::move(reason);
}

grpc::Status AdminService::GetStatus(grpc::ServerContext*, const pb::GetStatusRequest*, pb::BalancerStatus* out) {
  out->set_version(kVersion);
  out->set_node(info_.node);
  out->set_instance_id(info_.instance_id);
  out->set_started_unix_ms(info_.started_unix_ms);
  for (const auto& f : info_.config_files) out->add_config_files(f);
  out->set_threads(info_.threads);
  {
    std::lock_guard lock(mutex_);
    out->set_ready(ready_);
    out->set_not_ready_reason(ready_ ? "" : not_ready_reason_);
    out->set_config_loaded_unix_ms(config_loaded_unix_ms_);
    out->set_reloads(reloads_);
    out->set_last_reload_error(last_reload_error_);
  }
  auto g = generation_();
  const runtime::Runtime& rt = *g->runtime;
  out->set_current_connections(const_cast<runtime::Runtime&>(rt).sessions().current());
  std::uint64_t total_conn = 0, total_req = 0;
  for (const auto& f : rt.frontends()) {
    total_conn += f->counters().sum(Ctr::sessions_total);
    total_req += f->counters().sum(Ctr::http_requests);
  }
  out->set_total_connections(total_conn);
  out->set_total_requests(total_req);
  out->set_maxconn(rt.maxconn());
  return grpc::Status::OK;
}

grpc::Status AdminService::ListFrontends(grpc::ServerContext*, const pb::ListFrontendsRequest*,
                                         pb::ListFrontendsResponse* out) {
  auto g = generation_();
  for (const auto& f : g->runtime->frontends()) {
    pb::Frontend* fo = out->add_frontends();
    fo->set_name(f->name());
    fo->set_mode(mode_of(f->mode()));
    for (const auto& b : f->config().binds) {
      pb::Listener* l = fo->add_listeners();
      l->set_address(b.text());
      l->set_ssl(b.tls.enabled);
      l->set_bound(true);
    }
    if (f->default_backend()) fo->set_default_backend(f->default_backend()->name());
    fill_counters(f->counters(), f->sessions(), f->config().maxconn, fo->mutable_counters());
  }
  return grpc::Status::OK;
}

void AdminService::fill_server(const health::Checker& checker, const runtime::Server& s, pb::Server* out) {
  auto& ms = const_cast<runtime::Server&>(s);
  out->set_backend(s.backend().name());
  out->set_name(s.name());
  out->set_id(s.id());
  out->set_address(cat(s.config().ipv6 ? "[" : "", s.config().address, s.config().ipv6 ? "]" : "", ':', s.config().port));
  out->set_state(state_of(s));
  out->set_admin_state(admin_of(s.admin_state()));
  out->set_weight(s.usable() || s.state() == runtime::ServerState::drain ? s.weight() : 0);
  out->set_configured_weight(s.configured_weight());
  out->set_backup(s.backup());
  health::CheckView v = checker.view(s);
  pb::CheckStatus* c = out->mutable_check();
  c->set_enabled(v.enabled);
  if (v.enabled) {
    c->set_status(std::string(health::status_code(v.last.status)));
    c->set_description(std::string(health::status_description(v.last.status)));
    c->set_code(v.last.code);
    c->set_duration_ms(static_cast<std::uint32_t>(v.last.duration.count()));
    c->set_health(v.counter);
    c->set_rise(v.rise);
    c->set_fall(v.fall);
  }
  out->set_last_change_unix_ms(s.last_change_unix_ms());
  out->set_downtime_ms(s.downtime_ms(steady_ms()));
  fill_counters(ms.counters(), ms.sessions(), s.maxconn(), out->mutable_counters());
  switch (s.state()) {
    case runtime::ServerState::maint: out->set_reason("maintenance (set by the configuration or an operator)"); break;
    case runtime::ServerState::drain: out->set_reason("draining: no new traffic"); break;
    case runtime::ServerState::nolb: out->set_reason("the health check asked for no new traffic (404)"); break;
    case runtime::ServerState::down:
      out->set_reason(cat(health::status_description(v.last.status), v.last.code ? cat(", code ", v.last.code) : "",
                          v.last.info.empty() ? "" : cat(": ", v.last.info)));
      break;
    case runtime::ServerState::up: break;
  }
}

grpc::Status AdminService::ListBackends(grpc::ServerContext*, const pb::ListBackendsRequest* req,
                                        pb::ListBackendsResponse* out) {
  bool found = false;
  auto g = generation_();
  for (const auto& b : g->runtime->backends()) {
    if (!req->name().empty() && b->name() != req->name()) continue;
    found = true;
    pb::Backend* bo = out->add_backends();
    bo->set_name(b->name());
    bo->set_mode(mode_of(b->mode()));
    bo->set_balance(b->config().balance.text);
    std::uint32_t active = 0, backup = 0;
    for (const auto& s : b->servers()) {
      fill_server(*g->checker, *s, bo->add_servers());
      (s->backup() ? backup : active)++;
    }
    bo->set_active_up(b->usable_active());
    bo->set_active_total(active);
    bo->set_backup_up(b->usable_backup());
    bo->set_backup_total(backup);
    bo->set_queue(b->queued());
    fill_counters(b->counters(), b->sessions(), 0, bo->mutable_counters());
  }
  if (!found && !req->name().empty())
    return grpc::Status(grpc::StatusCode::NOT_FOUND, cat("no backend named '", req->name(), "'"));
  return grpc::Status::OK;
}

grpc::Status AdminService::find(const runtime::Runtime& rt, const std::string& backend, const std::string& server,
                                runtime::Server*& out) {
  runtime::Backend* b = rt.find_backend(backend);
  if (!b) return grpc::Status(grpc::StatusCode::NOT_FOUND, cat("no backend named '", backend, "'"));
  out = b->find_server(server);
  if (!out) return grpc::Status(grpc::StatusCode::NOT_FOUND, cat("no server '", server, "' in backend '", backend, "'"));
  return grpc::Status::OK;
}

grpc::Status AdminService::SetServerState(grpc::ServerContext*, const pb::SetServerStateRequest* req, pb::Server* out) {
  auto g = generation_();
  runtime::Server* s = nullptr;
  if (auto st = find(*g->runtime, req->backend(), req->server(), s); !st.ok()) return st;
  runtime::AdminState a;
  switch (req->state()) {
    case pb::ADMIN_STATE_READY: a = runtime::AdminState::ready; break;
    case pb::ADMIN_STATE_DRAIN: a = runtime::AdminState::drain; break;
    case pb::ADMIN_STATE_MAINT: a = runtime::AdminState::maint; break;
    default: return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "state must be ready, drain or maint");
  }
  pb::ServerState before = state_of(*s);
  s->set_admin_state(a);
  s->note_state(unix_ms(std::chrono::system_clock::now()), steady_ms());
  s->backend().rebuild();
  fill_server(*g->checker, *s, out);
  if (out->state() != before) {
    pb::BalancerEvent e;
    e.set_unix_ms(unix_ms(std::chrono::system_clock::now()));
    auto* c = e.mutable_server();
    c->set_backend(s->backend().name());
    c->set_server(s->name());
    c->set_from(before);
    c->set_to(out->state());
    c->set_reason(cat("set to ", pb::AdminState_Name(req->state()), " by an operator"));
    events_.publish(e);
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::SetServerWeight(grpc::ServerContext*, const pb::SetServerWeightRequest* req, pb::Server* out) {
  auto g = generation_();
  runtime::Server* s = nullptr;
  if (auto st = find(*g->runtime, req->backend(), req->server(), s); !st.ok()) return st;
  if (req->weight() > 256) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "weight must be in 0..256");
  if (s->backend().config().balance.algorithm == config::Balance::static_rr && (req->weight() == 0) != (s->user_weight() == 0))
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "static-rr backends only take weight changes between non-zero values (as HAProxy)");
  s->set_weight(req->weight());
  s->backend().rebuild();
  fill_server(*g->checker, *s, out);
  return grpc::Status::OK;
}

grpc::Status AdminService::WatchEvents(grpc::ServerContext* ctx, const pb::WatchEventsRequest*,
                                       grpc::ServerWriter<pb::BalancerEvent>* writer) {
  EventBus::Subscription sub(events_);
  // Initial metadata at once: a client that waits for it (tandemctl events)
  // knows its subscription exists and will miss no event from then on.
  writer->SendInitialMetadata();
  while (!ctx->IsCancelled()) {
    auto e = sub.next(std::chrono::milliseconds(200));
    if (e && !writer->Write(*e)) break;
  }
  return grpc::Status::OK;
}

}  // namespace tandem::balancer::admin
