#include "balancer/health/checker.h"

// g++ 12 reports mismatched-new-delete once the TLS helpers' coroutine frames
// are inlined into run_check(): a false positive (asio's awaitable frames are
// allocated and freed by the same class-specific operators; see the sanitizer
// note in CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <random>
#include <tuple>

#include "balancer/health/check_eval.h"
#include "balancer/proxy/io.h"
#include "balancer/runtime/server.h"
#include "balancer/tls/tls_conn.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/strings.h"

namespace tandem::balancer::health {

using asio::ip::tcp;
using proxy::use_nothrow;
using Clock = std::chrono::steady_clock;

struct Checker::Entry {
  Entry(asio::io_context& io, runtime::Server& s, const HealthParams& p) : server(s), state(p), timer(io) {}
  runtime::Server& server;
  HealthState state;  // guarded by Checker::mutex_ (read by view())
  asio::steady_timer timer;
  Clock::time_point next_due{};  // when the next check runs; the timer only wakes the loop
  tcp::endpoint target;
  Millis connect_timeout{0};
  Millis read_timeout{0};
  const config::CheckSpec* spec = nullptr;
  std::string http_request;
};

namespace {

HealthParams params_of(const config::ServerParams& p) {
  HealthParams h;
  h.rise = p.rise;
  h.fall = p.fall;
  h.inter = p.inter;
  h.fastinter = p.fastinter.value_or(p.inter);
  h.downinter = p.downinter.value_or(p.inter);
  h.slowstart = p.slowstart;
  h.error_limit = p.error_limit;
  h.on_error = p.on_error == "fastinter"      ? OnError::fastinter
               : p.on_error == "sudden-death" ? OnError::sudden_death
               : p.on_error == "mark-down"    ? OnError::mark_down
                                              : OnError::fail_check;
  return h;
}

// "Server B/S is DOWN, reason: ..., code: N, info: "...", check duration: Nms."
std::string reason_text(const CheckResult& r) {
  std::string s = cat("reason: ", status_description(r.status));
  if (r.code) append(s, ", code: ", r.code);
  if (!r.info.empty() && !status_passed(r.status)) append(s, ", info: \"", r.info, '"');
  append(s, ", check duration: ", r.duration.count(), "ms");
  return s;
}

// Reads until `judge` gives a verdict, the peer closes, or the deadline.
// Returns nullopt on timeout.
// Checks over TLS (`check-ssl`): the same OpenSSL steps as the data path,
// with a timer that closes the socket at the deadline.
// Checks keep their TLS session in the server context's last slot (new_ssl clamps).
constexpr unsigned kCheckWorkerSlot = ~0u;

struct CheckTls {
  std::unique_ptr<tls::TlsConn> conn;
};

// One TLS operation to its end or the deadline (the caller's timer
// cancels the socket). rbuf: a read, else a write of wbuf.
asio::awaitable<std::pair<asio::error_code, std::size_t>> tls_step(tcp::socket& sock, tls::TlsConn& t, int kind, void* rbuf,
                                                                   const void* wbuf, std::size_t len) {
  for (;;) {
    tls::Op op = kind == 0 ? t.handshake() : kind == 1 ? t.read(rbuf, len) : t.write(wbuf, len);
    if (op.step == tls::Step::done) co_return std::pair{asio::error_code{}, op.n};
    if (op.step == tls::Step::closed) co_return std::pair{asio::error_code(asio::error::eof), std::size_t(0)};
    if (op.step == tls::Step::failed) co_return std::pair{asio::error_code(asio::error::connection_reset), std::size_t(0)};
    auto what = op.step == tls::Step::want_write ? tcp::socket::wait_write : tcp::socket::wait_read;
    auto [ec] = co_await sock.async_wait(what, use_nothrow);
    if (ec) co_return std::pair{ec, std::size_t(0)};
  }
}

// The TLS handshake of a check, within `timeout`: nullopt when it passed.
asio::awaitable<std::optional<CheckResult>> check_handshake(tcp::socket& sock, CheckTls& ct, const runtime::Server& server,
                                                            Millis timeout) {
  asio::error_code ec;
  sock.non_blocking(true, ec);
  ct.conn = tls::TlsConn::create(server.tls()->new_ssl(kCheckWorkerSlot, std::string_view()), sock.native_handle(), false);
  if (!ct.conn) co_return CheckResult{CheckStatus::l6rsp, 0, "cannot create a TLS connection", Millis(0)};
  asio::steady_timer timer(sock.get_executor());
  bool timed_out = false;
  if (timeout.count() > 0) {
    timer.expires_after(timeout);
    timer.async_wait([&](const asio::error_code& e) {
      if (!e) {
        timed_out = true;
        asio::error_code ignored;
        sock.cancel(ignored);
      }
    });
  }
  auto [hec, n] = co_await tls_step(sock, *ct.conn, 0, nullptr, nullptr, 0);
  timer.cancel();
  if (!hec) co_return std::nullopt;
  if (timed_out) co_return CheckResult{CheckStatus::l6tout, 0, "", Millis(0)};
  co_return CheckResult{CheckStatus::l6rsp, 0, ct.conn->error(), Millis(0)};
}

asio::awaitable<std::pair<asio::error_code, std::size_t>> check_write(tcp::socket& sock, CheckTls& ct, std::string_view data) {
  if (ct.conn) co_return co_await tls_step(sock, *ct.conn, 2, nullptr, data.data(), data.size());
  auto [ec, n] = co_await asio::async_write(sock, asio::buffer(data), use_nothrow);
  co_return std::pair{ec, n};
}

asio::awaitable<std::pair<asio::error_code, std::size_t>> check_read(tcp::socket& sock, CheckTls& ct, char* buf, std::size_t len) {
  if (ct.conn) co_return co_await tls_step(sock, *ct.conn, 1, buf, nullptr, len);
  auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf, len), use_nothrow);
  co_return std::pair{ec, n};
}

template <typename Judge>
asio::awaitable<std::optional<CheckResult>> read_until(tcp::socket& sock, CheckTls& ct, std::string& buf,
                                                       Clock::time_point deadline, Judge&& judge) {
  asio::steady_timer timer(sock.get_executor());
  char chunk[4096];
  for (;;) {
    if (auto v = judge(false)) co_return v;
    if (buf.size() >= kMaxCheckResponse) co_return judge(true);
    if (Clock::now() >= deadline) co_return std::nullopt;
    // One read, bounded by the deadline: a timer cancels it.
    timer.expires_at(deadline);
    timer.async_wait([&sock](const asio::error_code& ec) {
      if (!ec) {
        asio::error_code ignored;
        sock.cancel(ignored);
      }
    });
    auto [ec, n] = co_await check_read(sock, ct, chunk, sizeof chunk);
    timer.cancel();
    if (ec == asio::error::operation_aborted) co_return std::nullopt;
    if (ec) co_return judge(true);
    buf.append(chunk, std::min(n, kMaxCheckResponse - buf.size()));
  }
}

// Connects with a deadline. ok, or the L4 result.
asio::awaitable<std::optional<CheckResult>> connect_with_deadline(tcp::socket& sock, const tcp::endpoint& ep,
                                                                  Millis timeout) {
  asio::steady_timer timer(sock.get_executor());
  bool timed_out = false;
  if (timeout.count() > 0) {
    timer.expires_after(timeout);
    timer.async_wait([&](const asio::error_code& ec) {
      if (!ec) {
        timed_out = true;
        asio::error_code ignored;
        sock.close(ignored);
      }
    });
  }
  auto [ec] = co_await sock.async_connect(ep, use_nothrow);
  timer.cancel();
  if (!ec) co_return std::nullopt;
  if (timed_out) co_return CheckResult{CheckStatus::l4tout, 0, "", Millis(0)};
  std::string info = ec.message();
  if (!info.empty()) info[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(info[0])));
  co_return CheckResult{CheckStatus::l4con, 0, info, Millis(0)};
}

}  // namespace

Checker::Checker(runtime::Runtime& rt) : rt_(rt) {
  for (const auto& be : rt.backends()) {
    const config::Proxy& cfg = be->config();
    for (const auto& s : be->servers()) {
      const config::ServerParams& p = s->config().params;
      if (p.check) {
        auto e = std::make_unique<Entry>(io_, *s, params_of(p));
        asio::ip::address addr =
            p.check_addr.empty() ? s->endpoint().address() : asio::ip::make_address(p.check_addr);
        std::uint16_t port = p.check_port ? p.check_port : s->endpoint().port();
        e->target = tcp::endpoint(addr, port);
        // As HAProxy: connecting may take min(timeout connect, inter); reading
        // the answer `timeout check` when set, else inter.
        Millis inter = p.inter;
        e->connect_timeout = cfg.timeouts.connect ? std::min(*cfg.timeouts.connect, inter) : inter;
        e->read_timeout = cfg.timeouts.check ? *cfg.timeouts.check : inter;
        e->spec = &cfg.check;
        if (cfg.check.kind == config::CheckSpec::Kind::http) e->http_request = build_http_check_request(cfg.check);
        entries_.push_back(std::move(e));
      }
      if (!s->config().params.observe.empty()) s->set_error_limit_sink(&Checker::on_error_limit, this);
    }
  }
}

Checker::~Checker() { stop(); }

void Checker::start() {
  // Spread the first checks over one interval, so that a farm of servers is
  // not checked all at once.
  std::size_t n = entries_.size();
  for (std::size_t i = 0; i < n; ++i) {
    Millis inter = entries_[i]->server.config().params.inter;
    Millis first = Millis(inter.count() * static_cast<long long>(i) / static_cast<long long>(std::max<std::size_t>(n, 1)));
    asio::co_spawn(io_, loop(*entries_[i], first), asio::detached);
  }
  thread_ = std::thread([this] {
    auto guard = asio::make_work_guard(io_);
    io_.run();
  });
}

void Checker::stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

std::size_t Checker::carry_from(const Checker& before) {
  std::size_t carried = 0;
  std::lock_guard old_lock(before.mutex_);
  std::lock_guard lock(mutex_);
  for (auto& e : entries_) {
    for (const auto& o : before.entries_) {
      if (o->server.name() != e->server.name() || o->server.backend().name() != e->server.backend().name() ||
          o->target != e->target)
        continue;
      e->state.carry_from(o->state);
      e->server.set_health(e->state.up());
      e->server.set_nolb(e->state.nolb());
      if (!e->state.up())
        e->server.note_state(unix_ms(std::chrono::system_clock::now()),
                             std::chrono::duration_cast<Millis>(Clock::now().time_since_epoch()).count());
      ++carried;
      break;
    }
  }
  for (const auto& be : rt_.backends()) be->rebuild();
  return carried;
}

CheckView Checker::view(const runtime::Server& s) const {
  std::lock_guard lock(mutex_);
  for (const auto& e : entries_) {
    if (&e->server != &s) continue;
    const config::ServerParams& p = s.config().params;
    return CheckView{true, e->state.last(), e->state.counter(), p.rise, p.fall};
  }
  return CheckView{};
}

void Checker::on_error_limit(void* ctx, runtime::Server& s) {
  auto* self = static_cast<Checker*>(ctx);
  Entry* entry = nullptr;
  for (auto& e : self->entries_) {
    if (&e->server == &s) entry = e.get();
  }
  // `observe` without `check`: only mark-down/fail-check can act, and
  // without checks nothing would bring the server back; HAProxy requires
  // `check` for observe too, which the configuration check enforces.
  if (!entry) return;
  std::optional<Transition> t;
  {
    std::lock_guard lock(self->mutex_);
    t = entry->state.on_error_limit(Clock::now());
  }
  // The server leaves the farm now, on the worker that saw the errors, so
  // that the very next request already avoids it (HAProxy does the same
  // under the server's lock); the log and the rescheduling follow on the
  // checker's thread.
  if (t && !t->up) {
    s.set_health(false);
    s.backend().rebuild();
  }
  asio::post(self->io_, [self, entry, t] {
    runtime::Server& srv = entry->server;
    log::warning("Server ", srv.display_name(), ": ", srv.config().params.error_limit,
                 " consecutive errors on traffic, on-error ", srv.config().params.on_error);
    bool still;
    {
      std::lock_guard lock(self->mutex_);
      still = t && entry->state.up() == t->up;
    }
    // A check may have brought it back meanwhile: then that check's own
    // transition was applied and logged, and this one is history.
    self->apply(*entry, still ? t : std::nullopt);
    // As HAProxy: the next check comes no later than fastinter from now.
    auto due = Clock::now() + entry->state.next_interval();
    if (due < entry->next_due) {
      entry->next_due = due;
      entry->timer.cancel();
    }
  });
}

asio::awaitable<void> Checker::loop(Entry& e, Millis first_delay) {
  std::mt19937 rng(e.server.id() * 7919u + 17);
  unsigned spread = rt_.global().spread_checks;
  e.next_due = Clock::now() + first_delay;
  for (;;) {
    // The timer may be cancelled to bring the due time forward: wait again
    // until it is reached.
    while (Clock::now() < e.next_due) {
      e.timer.expires_at(e.next_due);
      (void)co_await e.timer.async_wait(use_nothrow);
    }
    auto started = Clock::now();
    CheckResult r = co_await run_check(e);
    r.duration = std::chrono::duration_cast<Millis>(Clock::now() - started);
    std::optional<Transition> t;
    {
      std::lock_guard lock(mutex_);
      t = e.state.on_check(r, Clock::now());
    }
    apply(e, t);
    if (!status_passed(r.status)) e.server.counters().add(0, runtime::Ctr::failed_checks);
    Millis next = e.state.next_interval();
    if (e.state.starting(Clock::now())) next = std::min(next, std::max(Millis(100), e.server.config().params.slowstart / 20));
    if (spread) {
      // spread-checks N: +/- N% of the interval, so checks drift apart.
      long long span = next.count() * spread / 100;
      next += Millis(std::uniform_int_distribution<long long>(-span, span)(rng));
    }
    e.next_due = Clock::now() + std::max(next, Millis(1));
  }
}

asio::awaitable<CheckResult> Checker::run_check(Entry& e) {
  const config::CheckSpec& spec = *e.spec;
  tcp::socket sock(io_);
  CheckTls ct;
  const bool ssl = e.server.check_ssl();
  if (spec.kind != config::CheckSpec::Kind::tcp || spec.tcp_steps.empty() ||
      spec.tcp_steps.front().kind != config::TcpCheckStep::Kind::connect) {
    if (auto fail = co_await connect_with_deadline(sock, e.target, e.connect_timeout)) co_return *fail;
    if (ssl)
      if (auto fail = co_await check_handshake(sock, ct, e.server, e.read_timeout)) co_return *fail;
  }
  if (spec.kind == config::CheckSpec::Kind::connect)
    co_return CheckResult{ssl ? CheckStatus::l6ok : CheckStatus::l4ok, 0, "", Millis(0)};

  auto deadline = Clock::now() + e.read_timeout;
  if (spec.kind == config::CheckSpec::Kind::http) {
    auto [ec, n] = co_await check_write(sock, ct, e.http_request);
    if (ec) co_return CheckResult{CheckStatus::l4con, 0, ec.message(), Millis(0)};
    std::string buf;
    auto v = co_await read_until(sock, ct, buf, deadline,
                                 [&](bool eof) { return judge_http(spec, buf, eof); });
    if (!v) co_return CheckResult{CheckStatus::l7tout, 0, "", Millis(0)};
    co_return *v;
  }

  // tcp-check: the rules in order.
  std::string buf;
  bool any_l7 = false;
  for (const config::TcpCheckStep& step : spec.tcp_steps) {
    switch (step.kind) {
      case config::TcpCheckStep::Kind::connect: {
        asio::error_code ignored;
        ct.conn.reset();
        sock.close(ignored);
        sock = tcp::socket(io_);
        tcp::endpoint ep = e.target;
        if (step.port) ep.port(step.port);
        if (auto fail = co_await connect_with_deadline(sock, ep, e.connect_timeout)) co_return *fail;
        if (ssl)
          if (auto fail = co_await check_handshake(sock, ct, e.server, e.read_timeout)) co_return *fail;
        buf.clear();
        break;
      }
      case config::TcpCheckStep::Kind::send: {
        any_l7 = true;
        auto [ec, n] = co_await check_write(sock, ct, step.data);
        if (ec) co_return CheckResult{CheckStatus::l7rsp, 0, cat("send failed: ", ec.message()), Millis(0)};
        buf.clear();
        break;
      }
      case config::TcpCheckStep::Kind::expect: {
        any_l7 = true;
        Match m = Match::need_more;
        auto v = co_await read_until(sock, ct, buf, deadline, [&](bool eof) -> std::optional<CheckResult> {
          m = judge_tcp_expect(step, buf, eof);
          if (m == Match::need_more) return std::nullopt;
          if (m == Match::failed)
            return CheckResult{CheckStatus::l7rsp, 0, cat("TCPCHK did not match content at ", step.origin.where()), Millis(0)};
          return CheckResult{CheckStatus::l7ok, 0, "", Millis(0)};
        });
        if (!v) co_return CheckResult{CheckStatus::l7tout, 0, "", Millis(0)};
        if (v->status != CheckStatus::l7ok) co_return *v;
        break;
      }
    }
  }
  co_return CheckResult{any_l7 ? CheckStatus::l7ok : CheckStatus::l4ok, 0, "", Millis(0)};
}

void Checker::apply(Entry& e, const std::optional<Transition>& t) {
  runtime::Server& s = e.server;
  runtime::Backend& be = s.backend();
  bool nolb = e.state.nolb();
  bool changed = s.state() == runtime::ServerState::nolb ? !nolb : nolb;
  s.set_nolb(nolb);
  if (!t) {
    ramp(e);
    if (changed) be.rebuild();
    return;
  }
  s.set_health(t->up);
  s.note_state(unix_ms(std::chrono::system_clock::now()),
               std::chrono::duration_cast<Millis>(Clock::now().time_since_epoch()).count());
  ramp(e);
  be.rebuild();
  std::uint64_t active = be.usable_active(), backup = be.usable_backup();
  if (t->up) {
    log::notice("Server ", s.display_name(), " is UP, ", reason_text(t->cause), ". ", active, " active and ", backup,
                " backup servers online. 0 sessions requeued, ", be.queued(), " total in queue.");
  } else {
    s.counters().add(0, runtime::Ctr::down_transitions);
    log::warning("Server ", s.display_name(), " is DOWN, ", reason_text(t->cause), ". ", active, " active and ", backup,
                 " backup servers left. ", s.sessions().current(), " sessions active, 0 requeued, 0 remaining in queue.");
    if (active + backup == 0) log::alert("backend ", be.name(), " has no server available!");
  }
  if (listener_) listener_(s, t->up, t->cause);
}

void Checker::ramp(Entry& e) {
  auto now = Clock::now();
  if (e.state.starting(now)) {
    std::uint32_t w = e.state.effective_weight(e.server.user_weight(), now);
    if (w != e.server.weight()) {
      e.server.set_ramp_weight(std::max<std::uint32_t>(1, w));
      e.server.backend().rebuild();
    }
  } else if (e.server.starting()) {
    e.server.set_ramp_weight(0);
    e.server.backend().rebuild();
  }
}

}  // namespace tandem::balancer::health
