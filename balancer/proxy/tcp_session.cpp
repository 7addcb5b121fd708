#include "balancer/proxy/tcp_session.h"

// g++ 12 reports mismatched-new-delete on serve_tcp's own coroutine frame
// once it holds the inspection buffer: a false positive (asio's awaitable
// frames are allocated and freed by the same class-specific operators; see
// balancer/health/checker.cpp and the sanitizer note in CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <optional>

#include "balancer/proxy/request_logging.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "balancer/lb/request_key.h"
#include "balancer/proxy/dispatch.h"
#include "balancer/proxy/stick_persist.h"
#include "balancer/rules/stick_glue.h"
#include "balancer/stick/stick_time.h"
#include "common/clock.h"
#include "balancer/proxy/tunnel.h"
#include "balancer/tls/tls_conn.h"
#include "balancer/tls/tls_context.h"
#include "common/log.h"
#include "common/strings.h"

namespace tandem::balancer::proxy {

using asio::ip::tcp;
using runtime::Ctr;

namespace {

// Leaves the session gauges however the session ends.
struct GaugeGuard {
  runtime::Runtime& rt;
  runtime::Frontend& fe;
  ~GaugeGuard() {
    fe.sessions().leave();
    rt.sessions().leave();
  }
};

// Writes the connection's log line (option tcplog) however it ends.
struct TcpLog {
  TcpLog(runtime::Runtime& r, runtime::Frontend& f) : rt(r), fe(f) {}
  TcpLog(const TcpLog&) = delete;
  TcpLog& operator=(const TcpLog&) = delete;
  runtime::Runtime& rt;
  runtime::Frontend& fe;
  RequestLogState state;
  LogContext ctx;
  std::string client_ip, local_ip;
  bool written = false;
  // Once, from whichever comes first: the guard that runs before the rule
  // context (which %[...] parts read) is destroyed, or this destructor.
  void write() {
    if (written) return;
    written = true;
    if (const logging::TrafficLog* t = fe.traffic_log()) {
      state.any_request = state.bytes_in > 0;
      ctx.client_ip = client_ip;
      ctx.local_ip = local_ip;
      if (ctx.eval) ctx.eval->now = stick::stick_now(SystemClock::instance());
      emit_request_log(*t, state, ctx, Worker::now());
    }
  }
  ~TcpLog() { write(); }
};

// hard-stop-after: shuts both connections down; the tunnel sees them fail.
struct TcpHook : SessionHook {
  tcp::socket* client = nullptr;
  tcp::socket* server = nullptr;
  static void stop(SessionHook* h) {
    auto* t = static_cast<TcpHook*>(h);
    shut_down_now(t->client);
    shut_down_now(t->server);
  }
};

// tcp-request content rules over what the client has sent so far, as
// HAProxy's tcp_inspect_request: at once, then again as bytes arrive while a
// rule's condition cannot be decided yet (req.len, WAIT_END...), and a last
// time as final once `tcp-request inspect-delay` has expired, the buffer is
// full or the client has closed. Without an inspect-delay the first run is
// final. The bytes read stay in `buf`, to be forwarded first. False: rejected.
asio::awaitable<bool> inspect_content(Worker& w, Side& client, const rules::RuleSet& rs, rules::EvalContext& ctx,
                                      rules::SessionCounters& sticks, net::IoBuffer& buf) {
  using V = rules::RuleSet::TcpVerdict;
  const Millis delay = rs.inspect_delay();
  const auto until = Worker::now() + delay;
  ctx.content_final = delay.count() == 0;
  for (;;) {
    ctx.req_len = buf.size();
    V v = rs.run_tcp_content(ctx, &sticks);
    if (v != V::wait) {
      ctx.content_final = true;  // later rules (the backend's, use_backend) see it all as final
      co_return v == V::accept;
    }
    if (!buf.allocated()) buf.ensure(w.buffers());
    const Millis left = std::chrono::duration_cast<Millis>(until - Worker::now());
    if (buf.space_size() == 0 || left.count() <= 0) {
      ctx.content_final = true;
      continue;
    }
    IoResult r = co_await read_some(w, client, asio::buffer(buf.space(), buf.space_size()), left);
    if (r.ok() && r.n > 0) buf.commit(r.n);
    else ctx.content_final = true;  // the delay expired, or the client closed (or failed): decide now
  }
}

// The TLS handshake of a `bind ... ssl` listener in TCP mode, within
// `timeout client` (as in HTTP mode). Null when it failed: counted, logged
// (rate-limited) and the connection is to be closed.
asio::awaitable<std::unique_ptr<tls::TlsConn>> accept_tls(Worker& w, runtime::Frontend& fe, tcp::socket& client,
                                                          const tls::BindContext& bind, const asio::ip::address& from) {
  asio::error_code ec;
  client.non_blocking(true, ec);
  SSL* ssl = ec ? nullptr : bind.new_ssl();
  if (ssl) tls::set_worker(ssl, w.index());
  std::unique_ptr<tls::TlsConn> conn = tls::TlsConn::create(ssl, client.native_handle(), true);
  if (!conn) co_return nullptr;
  Side side;
  side.socket = &client;
  side.tls = conn.get();
  IoResult r = co_await tls_handshake(w, side, or_none(fe.config().timeouts.client));
  if (r.ok()) co_return conn;
  fe.counters().add(w.index(), Ctr::tls_handshake_errors);
  static thread_local tandem::log::RateLimit limit(10, Millis(1000));
  unsigned long long suppressed = 0;
  if (limit.allow(Worker::now(), suppressed))
    log::warning(fe.name(), ": connection from ", from.to_string(), ": TLS handshake failed: ",
                 r.timed_out ? std::string("timeout") : conn->error(),
                 suppressed ? cat(" (", suppressed, " similar lines suppressed)") : std::string());
  co_return nullptr;
}

}  // namespace

asio::awaitable<void> serve_tcp(Worker& w, runtime::Runtime& rt, runtime::Frontend& fe, tcp::socket client,
                                ClientEnds ends, const tls::BindContext* tls_bind) {
  GaugeGuard guard{rt, fe};
  TcpHook hook;
  hook.rt = &rt;
  hook.client = &client;
  hook.hard_stop = &TcpHook::stop;
  ScopedSessionHook attached(w.sessions(), hook);
  runtime::Backend* be = fe.default_backend();
  const tcp::endpoint& remote = ends.peer;
  const tcp::endpoint& local = ends.local;
  const rules::RuleSet& rs = fe.rules();
  if (!be && !rs.has_switching_rules()) co_return;
  std::optional<TcpLog> tlog;
  if (fe.traffic_log()) {
    tlog.emplace(rt, fe);
    tlog->state.reset(Worker::now());
    tlog->state.accept_unix_us = tlog->state.start_unix_us;
    asio::ip::address ca = remote.address();
    if (ca.is_v6() && ca.to_v6().is_v4_mapped()) ca = asio::ip::make_address_v4(asio::ip::v4_mapped, ca.to_v6());
    tlog->client_ip = ca.to_string();
    tlog->local_ip = local.address().to_string();
    tlog->ctx = LogContext{&rt, &fe, be, nullptr, {}, {}, remote.port(), local.port(), nullptr};
  }
  // TCP_NODELAY: inherited from the listener (see start_slot).
  asio::ip::address addr = remote.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());

  // Declared before ctx: counters are released (conn_cur--) after the last
  // use of the context, whichever way the session ends.
  rules::SessionCounters sticks;
  struct Untrack {
    rules::SessionCounters& s;
    ~Untrack() {
      if (s.any()) s.end_session(stick::stick_now(SystemClock::instance()));
    }
  } untrack{sticks};
  rules::EvalContext ctx;
  // The log line is written before ctx goes (stick counters still tracked,
  // as HAProxy logs before releasing them).
  struct WriteLogFirst {
    std::optional<TcpLog>& t;
    ~WriteLogFirst() {
      if (t) t->write();
    }
  } write_log_first{tlog};
  ctx.src = addr;
  ctx.src_port = remote.port();
  ctx.dst = local.address();
  ctx.dst_port = local.port();
  ctx.rt = &rt;
  ctx.fe = &fe;
  ctx.be = be;
  ctx.now = stick::stick_now(SystemClock::instance());
  if (tlog && fe.traffic_log()->uses_samples()) tlog->ctx.eval = &ctx;
  auto own_rules = [&](runtime::Backend* b) { return b && b->rules_ptr() != fe.rules_ptr(); };
  const bool rules_here = rs.has_tcp_connection_rules() || rs.has_tcp_content_rules() || rs.has_switching_rules() ||
                          (be && be->rules().has_stick_rules()) || (own_rules(be) && be->rules().has_tcp_content_rules());
  auto deny = [&] {
    fe.counters().add(w.index(), Ctr::denied_requests);
    if (tlog) tlog->state.term[0] = 'P', tlog->state.term[1] = 'R';
  };
  // Connection rules see no TLS (as HAProxy: they run before the handshake,
  // so a rejected client costs no handshake).
  if (rules_here && !rs.run_tcp(ctx, false, &sticks)) {
    // Never a session, as HAProxy's: counted as a denied connection (dcon)
    // and not logged.
    fe.counters().add(w.index(), Ctr::denied_connections);
    tlog.reset();
    co_return;
  }
  std::unique_ptr<tls::TlsConn> client_tls;
  if (tls_bind) {
    client_tls = co_await accept_tls(w, fe, client, *tls_bind, addr);
    if (!client_tls) {
      if (tlog) tlog->state.term[0] = 'C', tlog->state.term[1] = 'R';
      co_return;
    }
    // ssl_fc, ssl_fc_sni and the ssl_* fetches, for the content rules
    // (use_backend by SNI) and a server's `sni` expression.
    ctx.ssl = true;
    ctx.tls = client_tls->ssl();
    const char* sni = SSL_get_servername(client_tls->ssl(), TLSEXT_NAMETYPE_host_name);
    ctx.sni = sni ? std::string_view(sni) : std::string_view();
  }
  // Bytes read while the content rules inspect the request: forwarded first.
  net::IoBuffer c2s, s2c;
  Side client_side;
  client_side.socket = &client;
  client_side.tls = client_tls.get();
  if (rules_here) {
    if (!co_await inspect_content(w, client_side, rs, ctx, sticks, c2s)) {
      if (tlog) {
        tlog->state.bytes_in = c2s.size();  // what it sent: logged despite dontlognull
        tlog->ctx.be = nullptr;  // not routed yet: the line names the frontend, as HAProxy's
      }
      deny();
      co_return;
    }
    // use_backend in a tcp frontend, as HAProxy: the first matching rule,
    // else default_backend.
    if (runtime::Backend* b = rs.route(ctx, [&rt](std::string_view n) { return rt.find_backend(n); })) be = b;
    if (!be) co_return;
    ctx.be = be;
    if (tlog) tlog->ctx.be = be;
    // A backend of its own (not this listen section): its tcp-request content
    // rules run too, after the frontend's.
    if (own_rules(be) && be->rules().has_tcp_content_rules() &&
        !co_await inspect_content(w, client_side, be->rules(), ctx, sticks, c2s)) {
      if (tlog) tlog->state.bytes_in = c2s.size();
      be->counters().add(w.index(), Ctr::denied_requests);
      if (tlog) tlog->state.term[0] = 'P', tlog->state.term[1] = 'R';
      co_return;
    }
  }
  const bool stick_rules = be->rules().has_stick_rules();
  Side server_side;
  DispatchRequest dr;
  if (stick_rules) {
    StickMatch m = stick_match(*be, ctx);
    if (m.down && !be->config().redispatch) {
      fe.counters().add(w.index(), Ctr::connection_errors);
      co_return;  // the sticky server is down: TCP has no 503, the connection closes
    }
    dr.forced = m.server;
  }
  dr.backend = be;
  // The backend's current sessions (its scur on the stats page), as
  // HAProxy's beconn: from the moment the connection is the backend's,
  // waiting in its queue included, until it ends.
  runtime::SessionGauge::Held assigned(be->sessions());
  dr.client_dst_port = local.port();
  dr.ctx = &ctx;
  if (be->config().balance.algorithm == config::Balance::source) dr.hash = lb::source_hash(be->config().balance, addr);
  if (tlog) tlog->state.connect_start = Worker::now();
  Dispatched d = co_await dispatch(w, server_side, dr);
  if (tlog) tlog->state.queue = d.queue;
  if (!d.conn) {
    fe.counters().add(w.index(), Ctr::connection_errors);
    if (tlog) tlog->state.term[0] = d.queue.timed_out ? 's' : 'S', tlog->state.term[1] = d.queue.timed_out ? 'Q' : 'C';
    co_return;
  }
  hook.server = &d.conn->socket;
  if (tlog) {
    tlog->state.connected = Worker::now();
    tlog->ctx.server = d.server;
  }
  be->counters().add(w.index(), Ctr::sessions_total);
  d.server->counters().add(w.index(), Ctr::sessions_total);
  d.server->sessions().enter();
  if (stick_rules) {
    ctx.now = stick::stick_now(SystemClock::instance());
    stick_store(*be, ctx, *d.server, false);
  }

  const config::Timeouts& ft = fe.config().timeouts;
  const config::Timeouts& bt = be->config().timeouts;
  TunnelTimeouts tt;
  if (bt.tunnel) {
    tt.idle = *bt.tunnel;
  } else {
    Millis c = or_none(ft.client), s = or_none(bt.server);
    tt.idle = c.count() && s.count() ? std::min(c, s) : std::max(c, s);
  }
  tt.client_fin = or_none(ft.client_fin);
  tt.server_fin = or_none(bt.server_fin);
  TunnelResult r = co_await run_tunnel(w, client, d.conn->socket, c2s, s2c, tt, client_tls.get(), d.conn->tls.get());
  // An idle timeout is the client's when its timeout is the shorter one
  // (HAProxy checks the client's first, hence the client's on a tie or with
  // `timeout tunnel`).
  const bool client_timed_out = bt.tunnel || !bt.server || (ft.client && *ft.client <= *bt.server);
  if (tlog) {
    tlog->state.bytes_in = r.client_to_server;
    tlog->state.bytes_out = r.server_to_client;
    // Who ended the data phase, as HAProxy's termination state: a reset or
    // failed write (C/S), else an idle timeout (c/s).
    char who = r.client_error ? 'C' : r.server_error ? 'S' : !r.timed_out ? '-' : client_timed_out ? 'c' : 's';
    if (who != '-') tlog->state.term[0] = who, tlog->state.term[1] = 'D';
  }
  if (r.client_error || r.server_error || r.timed_out) {
    // cli_abrt / srv_abrt, as HAProxy counts the data phase's ends.
    const bool client = r.client_error || (!r.server_error && client_timed_out);
    const Ctr c = client ? Ctr::client_aborts : Ctr::server_aborts;
    be->counters().add(w.index(), c);
    d.server->counters().add(w.index(), c);
  }
  fe.counters().add(w.index(), Ctr::bytes_in, r.client_to_server);
  fe.counters().add(w.index(), Ctr::bytes_out, r.server_to_client);
  be->counters().add(w.index(), Ctr::bytes_in, r.client_to_server);
  be->counters().add(w.index(), Ctr::bytes_out, r.server_to_client);
  d.server->counters().add(w.index(), Ctr::bytes_in, r.client_to_server);
  d.server->counters().add(w.index(), Ctr::bytes_out, r.server_to_client);
  if (sticks.any()) sticks.count_bytes(stick::stick_now(SystemClock::instance()), r.client_to_server, r.server_to_client);
  d.server->sessions().leave();
  if (tlog) tlog->state.srv_conn_at_release = static_cast<std::int64_t>(d.server->sessions().current());
  asio::error_code ec;
  d.conn->socket.close(ec);
  client.close(ec);
  be->release(*d.server);
}

}  // namespace tandem::balancer::proxy
