#include "balancer/stats/stats_source.h"

#include "balancer/health/checker.h"
#include "common/strings.h"

namespace tandem::balancer::stats {

using runtime::Ctr;

namespace {

constexpr int kSessions = 0;
constexpr int kRequests = 1;

std::string server_addr(const config::Server& s) {
  return cat(s.ipv6 ? "[" : "", s.address, s.ipv6 ? "]" : "", ':', s.port);
}

// The counters every row shows the same way.
void fill_traffic(StatRow& r, runtime::Counters& c, bool http, bool server) {
  r.set(Col::bin, c.sum(Ctr::bytes_in));
  r.set(Col::bout, c.sum(Ctr::bytes_out));
  r.set(Col::dresp, c.sum(Ctr::denied_responses));
  if (http) {
    r.set(Col::hrsp_1xx, c.sum(Ctr::http_1xx));
    r.set(Col::hrsp_2xx, c.sum(Ctr::http_2xx));
    r.set(Col::hrsp_3xx, c.sum(Ctr::http_3xx));
    r.set(Col::hrsp_4xx, c.sum(Ctr::http_4xx));
    r.set(Col::hrsp_5xx, c.sum(Ctr::http_5xx));
    r.set(Col::hrsp_other, c.sum(Ctr::http_other));
    r.set(Col::req_tot, c.sum(Ctr::http_requests));
  }
  if (!server) {
    r.set(Col::comp_in, 0);
    r.set(Col::comp_out, 0);
    r.set(Col::comp_byp, 0);
    r.set(Col::comp_rsp, 0);
  }
  r.set(Col::sep, std::string("-"));
}

}  // namespace

std::uint32_t proxy_id(const runtime::Runtime& rt, const config::Proxy& p) {
  if (p.id) return p.id;
  std::uint32_t n = 2;
  for (const config::Proxy& q : rt.config().proxies) {
    if (&q == &p || (q.name == p.name && q.kind == p.kind)) return n;
    ++n;
  }
  return n;
}

StatsSource::StatsSource(runtime::Runtime& rt, const health::Checker* checker, ProcessInfo info)
    : rt_(rt), checker_(checker), info_(std::move(info)) {
  if (!info_.start_steady_ms) info_.start_steady_ms = steady_ms();
  if (!info_.start_unix_s) info_.start_unix_s = unix_s();
}

std::int64_t StatsSource::steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::int64_t StatsSource::unix_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void StatsSource::sample_rates() {
  auto step = [](Rate& r, std::uint64_t total) {
    if (r.primed) {
      r.cur = total - r.last;
      if (r.cur > r.max) r.max = r.cur;
    }
    r.last = total;
    r.primed = true;
  };
  std::lock_guard lock(rates_mutex_);
  for (const auto& f : rt_.frontends()) {
    auto& r = rates_[f.get()];
    step(r[kSessions], f->counters().sum(Ctr::sessions_total));
    step(r[kRequests], f->counters().sum(Ctr::http_requests));
  }
  for (const auto& b : rt_.backends()) {
    auto& r = rates_[b.get()];
    step(r[kSessions], b->counters().sum(b->mode() == config::Mode::http ? Ctr::http_requests : Ctr::sessions_total));
    for (const auto& s : b->servers()) step(rates_[s.get()][kSessions], s->counters().sum(Ctr::sessions_total));
  }
}

StatsSource::Rate StatsSource::rate_of(const void* obj, int what) const {
  std::lock_guard lock(rates_mutex_);
  auto it = rates_.find(obj);
  return it == rates_.end() ? Rate{} : it->second[static_cast<size_t>(what)];
}

void StatsSource::fill_server(StatRow& r, runtime::Server& s, const config::Proxy& be, std::uint32_t iid,
                              std::int64_t now_ms, std::int64_t now_s) const {
  bool http = be.mode == config::Mode::http;
  r.type = ObjType::server;
  r.server = &s;
  const config::ServerParams& p = s.config().params;
  r.set(Col::pxname, be.name);
  r.set(Col::svname, s.name());
  r.set(Col::qcur, 0);
  r.set(Col::qmax, 0);
  // HTTP servers hold a slot per request in flight; TCP ones per connection.
  std::uint64_t cur = http ? s.in_flight() : s.sessions().current();
  std::uint64_t max = http ? s.in_flight_max() : s.sessions().max();
  r.set(Col::scur, cur);
  r.set(Col::smax, std::max(cur, max));
  if (p.maxconn) r.set(Col::slim, p.maxconn);
  r.set(Col::stot, s.counters().sum(Ctr::sessions_total));
  fill_traffic(r, s.counters(), http, true);
  r.set(Col::cli_abrt, s.counters().sum(Ctr::client_aborts));
  r.set(Col::srv_abrt, s.counters().sum(Ctr::server_aborts));
  r.set(Col::econ, s.counters().sum(Ctr::connection_errors));
  r.set(Col::eresp, s.counters().sum(Ctr::response_errors));
  r.set(Col::wretr, s.counters().sum(Ctr::retries));
  r.set(Col::wredis, s.counters().sum(Ctr::redispatches));

  health::CheckView cv = checker_ ? checker_->view(s) : health::CheckView{};
  std::string status;
  Look look = Look::active_up;
  runtime::ServerState st = s.state();
  std::uint32_t top = cv.rise + cv.fall - 1;
  switch (st) {
    case runtime::ServerState::maint: status = "MAINT"; look = Look::active_maint; break;
    case runtime::ServerState::drain: status = "DRAIN"; look = Look::active_drain; break;
    case runtime::ServerState::nolb: status = "NOLB"; look = Look::active_nolb; break;
    case runtime::ServerState::up:
      if (!cv.enabled) {
        status = "no check";
        look = Look::no_check;
      } else if (cv.counter < top) {
        status = cat("UP ", cv.counter - cv.rise + 1, '/', cv.fall);
        look = Look::active_going_down;
      } else {
        status = "UP";
      }
      if (s.backup() && look == Look::active_up) look = Look::backup_up;
      break;
    case runtime::ServerState::down:
      if (cv.enabled && cv.counter > 0) {
        status = cat("DOWN ", cv.counter, '/', cv.rise);
        look = Look::active_going_up;
      } else {
        status = "DOWN";
        look = s.backup() ? Look::backup_down : Look::active_down;
      }
      break;
  }
  r.look = look;
  r.set(Col::status, status);
  r.set(Col::weight, s.weight());
  r.set(Col::act, s.backup() ? 0u : 1u);
  r.set(Col::bck, s.backup() ? 1u : 0u);
  if (cv.enabled) {
    r.set(Col::chkfail, s.counters().sum(Ctr::failed_checks));
    r.set(Col::chkdown, s.counters().sum(Ctr::down_transitions));
    r.set(Col::downtime, static_cast<std::uint64_t>(s.downtime_ms(now_ms) / 1000));
  }
  std::int64_t changed = s.last_change_unix_ms() ? s.last_change_unix_ms() / 1000 : info_.start_unix_s;
  r.set(Col::lastchg, static_cast<std::uint64_t>(std::max<std::int64_t>(0, now_s - changed)));
  if (p.maxqueue) r.set(Col::qlimit, p.maxqueue);
  r.set(Col::pid, 1u);
  r.set(Col::iid, iid);
  r.set(Col::sid, s.id());
  if (s.starting()) r.set(Col::throttle, static_cast<std::uint64_t>(s.weight() * 100 / std::max(1u, s.user_weight())));
  r.set(Col::lbtot, s.counters().sum(Ctr::sessions_total));
  r.set(Col::type, 2u);
  Rate rate = rate_of(&s, kSessions);
  r.set(Col::rate, rate.cur);
  r.set(Col::rate_max, rate.max);
  if (cv.enabled) {
    bool done = cv.last.status != health::CheckStatus::none;
    r.set(Col::check_status, done ? std::string(health::status_code(cv.last.status)) : std::string("INI"));
    if (cv.last.code) r.set(Col::check_code, static_cast<std::uint64_t>(cv.last.code));
    if (done) r.set(Col::check_duration, static_cast<std::uint64_t>(cv.last.duration.count()));
    r.set(Col::last_chk, cv.last.info);
    r.set(Col::check_desc, done ? std::string(health::status_description(cv.last.status)) : std::string("Initializing"));
    r.set(Col::check_rise, cv.rise);
    r.set(Col::check_fall, cv.fall);
    r.set(Col::check_health, cv.counter);
  }
  r.set(Col::addr, server_addr(s.config()));
  if (!p.cookie.empty()) r.set(Col::cookie, p.cookie);
  r.set(Col::mode, std::string(http ? "http" : "tcp"));
  r.set(Col::uweight, s.user_weight());
}

std::uint64_t StatsSource::current_connections() const { return rt_.sessions().current(); }

std::vector<StatRow> StatsSource::rows() const {
  std::vector<StatRow> out;
  std::int64_t now_ms = steady_ms();
  std::int64_t now_s = unix_s();
  for (const config::Proxy& p : rt_.config().proxies) {
    std::uint32_t iid = proxy_id(rt_, p);
    bool http = p.mode == config::Mode::http;
    if (p.is_frontend()) {
      runtime::Frontend* f = rt_.find_frontend(p.name);
      if (!f) continue;
      StatRow r;
      r.type = ObjType::frontend;
      r.look = Look::frontend_open;
      r.set(Col::pxname, p.name);
      r.set(Col::svname, std::string("FRONTEND"));
      r.set(Col::scur, f->sessions().current());
      r.set(Col::smax, f->sessions().max());
      r.set(Col::slim, p.maxconn ? p.maxconn : rt_.maxconn());
      r.set(Col::stot, f->counters().sum(Ctr::sessions_total));
      fill_traffic(r, f->counters(), http, false);
      r.set(Col::dreq, f->counters().sum(Ctr::denied_requests));
      r.set(Col::ereq, f->counters().sum(Ctr::request_errors));
      r.set(Col::status, std::string("OPEN"));
      r.set(Col::pid, 1u);
      r.set(Col::iid, iid);
      r.set(Col::sid, 0u);
      r.set(Col::type, 0u);
      Rate sr = rate_of(f, kSessions);
      r.set(Col::rate, sr.cur);
      r.set(Col::rate_lim, 0u);
      r.set(Col::rate_max, sr.max);
      if (http) {
        Rate rr = rate_of(f, kRequests);
        r.set(Col::req_rate, rr.cur);
        r.set(Col::req_rate_max, rr.max);
      }
      r.set(Col::mode, std::string(http ? "http" : "tcp"));
      r.set(Col::conn_rate, sr.cur);
      r.set(Col::conn_rate_max, sr.max);
      r.set(Col::conn_tot, f->counters().sum(Ctr::sessions_total));
      if (http) r.set(Col::intercepted, f->counters().sum(Ctr::intercepted));
      r.set(Col::dcon, f->counters().sum(Ctr::denied_connections));
      r.set(Col::dses, 0u);
      out.push_back(std::move(r));
    }
    if (p.is_backend()) {
      runtime::Backend* b = rt_.find_backend(p.name);
      if (!b) continue;
      std::uint64_t weight = 0, scur = 0, smax = 0, stot = 0;
      bool any_check = false;
      std::uint64_t downtime = 0;
      for (const auto& s : b->servers()) {
        StatRow r;
        fill_server(r, *s, p, iid, now_ms, now_s);
        if (s->usable() && (!s->backup() || b->usable_active() == 0)) weight += s->weight();
        scur += r.num(Col::scur);
        smax += r.num(Col::smax);
        stot += r.num(Col::stot);
        any_check |= !r[Col::check_status].empty();
        downtime = std::max(downtime, r.num(Col::downtime));
        out.push_back(std::move(r));
      }
      StatRow r;
      r.type = ObjType::backend;
      // As HAProxy: a backend with no server at all (a stats listen) is UP.
      bool up = b->servers().empty() || b->usable_active() + b->usable_backup() > 0;
      r.look = up ? Look::backend_up : Look::backend_down;
      r.set(Col::pxname, p.name);
      r.set(Col::svname, std::string("BACKEND"));
      r.set(Col::qcur, static_cast<std::uint64_t>(b->queued()));
      r.set(Col::qmax, 0u);
      std::uint64_t bcur = http ? scur : b->sessions().current();
      r.set(Col::scur, bcur);
      r.set(Col::smax, std::max<std::uint64_t>(bcur, http ? smax : b->sessions().max()));
      r.set(Col::slim, p.fullconn ? p.fullconn : std::max<std::uint32_t>(1, rt_.maxconn() / 10));
      r.set(Col::stot, http ? b->counters().sum(Ctr::http_requests) : b->counters().sum(Ctr::sessions_total));
      fill_traffic(r, b->counters(), http, false);
      r.set(Col::cli_abrt, b->counters().sum(Ctr::client_aborts));
      r.set(Col::srv_abrt, b->counters().sum(Ctr::server_aborts));
      r.set(Col::dreq, b->counters().sum(Ctr::denied_requests));
      r.set(Col::econ, b->counters().sum(Ctr::connection_errors));
      r.set(Col::eresp, b->counters().sum(Ctr::response_errors));
      r.set(Col::wretr, b->counters().sum(Ctr::retries));
      r.set(Col::wredis, b->counters().sum(Ctr::redispatches));
      r.set(Col::status, std::string(up ? "UP" : "DOWN"));
      r.set(Col::weight, weight);
      r.set(Col::act, b->usable_active());
      r.set(Col::bck, b->usable_backup());
      r.set(Col::chkdown, b->counters().sum(Ctr::down_transitions));
      r.set(Col::lastchg, static_cast<std::uint64_t>(std::max<std::int64_t>(0, now_s - info_.start_unix_s)));
      if (any_check) r.set(Col::downtime, downtime);
      r.set(Col::pid, 1u);
      r.set(Col::iid, iid);
      r.set(Col::sid, 0u);
      r.set(Col::lbtot, stot);
      r.set(Col::type, 1u);
      Rate sr = rate_of(b, kSessions);
      r.set(Col::rate, sr.cur);
      r.set(Col::rate_max, sr.max);
      r.set(Col::mode, std::string(http ? "http" : "tcp"));
      r.set(Col::algo, p.balance.text);
      std::uint64_t uweight = 0;
      for (const auto& s : b->servers()) uweight += s->user_weight();
      r.set(Col::uweight, uweight);
      out.push_back(std::move(r));
    }
  }
  return out;
}

Result<void> StatsSource::set_state(std::string_view backend, std::string_view server, Action a, std::string_view who) {
  runtime::Backend* b = rt_.find_backend(backend);
  runtime::Server* s = b ? b->find_server(server) : nullptr;
  if (!s) return fail("No such server.");
  runtime::ServerState before = s->state();
  s->set_admin_state(a == Action::ready ? runtime::AdminState::ready
                     : a == Action::drain ? runtime::AdminState::drain
                                          : runtime::AdminState::maint);
  s->note_state(std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count(),
                steady_ms());
  b->rebuild();
  if (on_change_ && s->state() != before) on_change_(*s, before, who);
  return {};
}

Result<void> StatsSource::set_weight(std::string_view backend, std::string_view server, std::string_view text) {
  runtime::Backend* b = rt_.find_backend(backend);
  runtime::Server* s = b ? b->find_server(server) : nullptr;
  if (!s) return fail("No such server.");
  // HAProxy accepts "N" (absolute) and "N%" (of the configured weight).
  bool percent = text.ends_with('%');
  if (percent) text.remove_suffix(1);
  unsigned long long w = 0;
  if (!parse_uint(text, w)) return fail("Require <weight> or <weight%>.");
  if (percent) {
    if (w > 100) return fail("Relative weight must be positive.");
    w = s->configured_weight() * w / 100;
  }
  if (w > 256) return fail("Absolute weight can only be between 0 and 256 inclusive.");
  if (b->config().balance.algorithm == config::Balance::static_rr && (w == 0) != (s->user_weight() == 0))
    return fail("Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.");
  s->set_weight(static_cast<std::uint32_t>(w));
  b->rebuild();
  return {};
}

}  // namespace tandem::balancer::stats
