#include "balancer/proxy/tcp_session.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "balancer/lb/request_key.h"
#include "balancer/proxy/dispatch.h"
#include "balancer/proxy/stick_persist.h"
#include "balancer/rules/stick_glue.h"
#include "balancer/stick/stick_time.h"
#include "common/clock.h"
#include "balancer/proxy/tunnel.h"
#include "common/log.h"

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

}  // namespace

asio::awaitable<void> serve_tcp(Worker& w, runtime::Runtime& rt, runtime::Frontend& fe, tcp::socket client) {
  GaugeGuard guard{rt, fe};
  runtime::Backend* be = fe.default_backend();
  asio::error_code ec;
  auto remote = client.remote_endpoint(ec);
  if (ec || !be) co_return;
  auto local = client.local_endpoint(ec);
  int one = 1;
  ::setsockopt(client.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  asio::ip::address addr = remote.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());

  const rules::RuleSet& rs = fe.rules();
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
  const bool stick_rules = be->rules().has_stick_rules();
  if (rs.has_tcp_connection_rules() || rs.has_tcp_content_rules() || stick_rules) {
    ctx.src = addr;
    ctx.src_port = remote.port();
    ctx.dst = local.address();
    ctx.dst_port = local.port();
    ctx.rt = &rt;
    ctx.fe = &fe;
    ctx.be = be;
    ctx.now = stick::stick_now(SystemClock::instance());
    // Content rules here read no payload (no such fetch exists yet), so they
    // run at once rather than after tcp-request inspect-delay.
    if (!rs.run_tcp(ctx, false, &sticks) || !rs.run_tcp(ctx, true, &sticks)) {
      fe.counters().add(w.index(), Ctr::denied_requests);
      co_return;
    }
  }
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
  dr.client_dst_port = local.port();
  if (be->config().balance.algorithm == config::Balance::source) dr.hash = lb::source_hash(be->config().balance, addr);
  Dispatched d = co_await dispatch(w, server_side, dr);
  if (!d.conn) {
    fe.counters().add(w.index(), Ctr::connection_errors);
    co_return;
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
  net::IoBuffer c2s, s2c;
  TunnelResult r = co_await run_tunnel(w, client, d.conn->socket, c2s, s2c, tt);
  fe.counters().add(w.index(), Ctr::bytes_in, r.client_to_server);
  fe.counters().add(w.index(), Ctr::bytes_out, r.server_to_client);
  be->counters().add(w.index(), Ctr::bytes_in, r.client_to_server);
  be->counters().add(w.index(), Ctr::bytes_out, r.server_to_client);
  d.server->counters().add(w.index(), Ctr::bytes_in, r.client_to_server);
  d.server->counters().add(w.index(), Ctr::bytes_out, r.server_to_client);
  if (sticks.any()) sticks.count_bytes(stick::stick_now(SystemClock::instance()), r.client_to_server, r.server_to_client);
  d.server->sessions().leave();
  d.conn->socket.close(ec);
  client.close(ec);
  be->release(*d.server);
}

}  // namespace tandem::balancer::proxy
