#include "balancer/proxy/dispatch.h"
#include "balancer/proxy/worker.h"

#include <asio/post.hpp>
#include <cerrno>
#include <asio/steady_timer.hpp>

#include "balancer/proxy/sockets.h"
#include "balancer/runtime/server.h"
#include "balancer/tls/tls_conn.h"
#include "common/log.h"

namespace tandem::balancer::proxy {

namespace {

// A queued request's ticket owns the timer it sleeps on, so a wake-up posted
// by another worker can never touch a timer that is gone. Every request
// takes a ticket, few ever queue: the timer is made only for those (on the
// worker's thread, before the wait, so before any wake-up can run).
struct WaitTicket final : runtime::QueueTicket {
  explicit WaitTicket(asio::io_context& io) : io(io) {}
  void wake(std::shared_ptr<QueueTicket> self) override {
    asio::post(io, [self = std::move(self)] { static_cast<WaitTicket&>(*self).timer->cancel(); });
  }
  asio::io_context& io;
  std::optional<asio::steady_timer> timer;
};

Millis queue_timeout(const config::Proxy& p) {
  if (p.timeouts.queue) return *p.timeouts.queue;
  return or_none(p.timeouts.connect);
}

// Takes a slot (possibly after waiting in the queue). nullptr: none to be had.
// `wait` (when given) learns how long and where it waited.
asio::awaitable<runtime::Server*> take_slot(Worker& w, runtime::Backend& be, const runtime::Backend::PickInput& in,
                                            runtime::Server* forced, const char*& reason, QueueWait* wait) {
  auto ticket = std::make_shared<WaitTicket>(w.io());
  runtime::Backend::Pick p = forced ? be.acquire_on(*forced, ticket) : be.acquire(in, ticket);
  switch (p.outcome) {
    case runtime::Backend::Outcome::granted:
      if (wait) wait->until = Worker::now();
      co_return p.server;
    case runtime::Backend::Outcome::no_server:
      reason = "no server available";
      co_return nullptr;
    case runtime::Backend::Outcome::queue_full:
      reason = "server queue full";
      co_return nullptr;
    case runtime::Backend::Outcome::queued:
      break;
  }
  Millis t = queue_timeout(be.config());
  ticket->timer.emplace(w.io());
  ticket->timer->expires_after(t.count() > 0 ? t : Millis(std::chrono::hours(24 * 365)));
  (void)co_await ticket->timer->async_wait(use_nothrow);
  runtime::Server* s = be.abandon(ticket);
  if (!s) reason = "timeout in the queue";
  if (wait) {
    wait->until = Worker::now();
    wait->timed_out = !s;
    // The ticket is settled now (granted or abandoned): its position is final.
    (ticket->server_queue >= 0 ? wait->server_pos : wait->backend_pos) = ticket->position;
  }
  co_return s;
}

// The bytes a connect still in progress may try (see DispatchRequest);
// `sent` says how many went.
struct FirstBytes {
  asio::const_buffer a, b;
  std::size_t sent = 0;
};

asio::awaitable<asio::error_code> connect_once(Worker& w, Side& side, asio::ip::tcp::socket& sock,
                                               const asio::ip::tcp::endpoint& ep, Millis timeout,
                                               FirstBytes* first = nullptr) {
  side.socket = &sock;
  side.timed_out = false;
  asio::error_code ec;
  // Usually done at once (a local server); else wait for writability.
  ConnectState state = start_connect(sock, ep, ec);
  if (state == ConnectState::in_progress && first && first->a.size() + first->b.size() > 0) {
    // Over loopback the handshake has completed by the time connect(2)
    // returns: the send goes. EAGAIN: still connecting; another error: the
    // connect failed (the kernel reports it to the first send).
    long n = send_now(sock.native_handle(), first->a, first->b);
    if (n >= 0) {
      first->sent = static_cast<std::size_t>(n);
      co_return ec;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) co_return asio::error_code(errno, asio::system_category());
  } else if (state == ConnectState::in_progress) {
    state = poll_connect(sock, ec);
  }
  if (state == ConnectState::in_progress) {
    if (timeout.count() > 0) w.arm(side.deadline, timeout);
    auto [wait_ec] = co_await sock.async_wait(asio::ip::tcp::socket::wait_write, use_nothrow);
    side.deadline.disarm();
    ec = wait_ec ? wait_ec : connect_result(sock);
    if (ec && side.timed_out) ec = asio::error::timed_out;
  }
  co_return ec;
}

// The server name a TLS server gets for this request (`sni EXPR`).
std::string sni_for(const runtime::Server& s, rules::EvalContext* ctx) {
  const tls::ServerContext* t = s.tls();
  if (!t || !t->sni() || !ctx) return {};
  rules::Sample v = t->sni()->eval(*ctx);
  return v.present() ? std::string(v.text(*ctx)) : std::string();
}

// The TLS handshake with a server, within what is left of `timeout
// connect`. A failure counts as a failed connection (and is retried so).
asio::awaitable<asio::error_code> start_tls(Worker& w, Side& side, ServerConn& conn, runtime::Server& server,
                                            std::string sni, Millis timeout) {
  asio::error_code ec;
  conn.socket.non_blocking(true, ec);
  if (ec) co_return ec;
  conn.tls = tls::TlsConn::create(server.tls()->new_ssl(w.index(), sni), conn.socket.native_handle(), false);
  if (!conn.tls) co_return asio::error::no_memory;
  conn.sni = std::move(sni);
  side.tls = conn.tls.get();
  IoResult r = co_await tls_handshake(w, side, timeout);
  if (!r.ok()) {
    static thread_local tandem::log::RateLimit limit(10, Millis(1000));
    unsigned long long suppressed = 0;
    if (limit.allow(Worker::now(), suppressed))
      log::warning(server.display_name(), ": TLS handshake failed: ", r.timed_out ? "timeout" : conn.tls->error());
    side.tls = nullptr;
    conn.tls.reset();
    co_return r.timed_out ? asio::error_code(asio::error::timed_out) : r.ec;
  }
  co_return asio::error_code{};
}

asio::ip::tcp::endpoint target_of(const runtime::Server& s, std::uint16_t client_dst_port) {
  asio::ip::tcp::endpoint ep = s.endpoint();
  if (s.uses_client_port()) ep.port(client_dst_port);
  return ep;
}

}  // namespace

asio::awaitable<std::unique_ptr<ServerConn>> connect_fresh(Worker& w, Side& side, runtime::Server& server,
                                                           std::uint16_t client_dst_port, rules::EvalContext* ctx) {
  auto conn = std::make_unique<ServerConn>(asio::ip::tcp::socket(w.io()));
  conn->server = &server;
  side.tls = nullptr;
  Millis ct = or_none(server.backend().config().timeouts.connect);
  asio::error_code ec = co_await connect_once(w, side, conn->socket, target_of(server, client_dst_port), ct);
  if (!ec && server.ssl()) ec = co_await start_tls(w, side, *conn, server, sni_for(server, ctx), ct);
  if (server.observes_layer4()) server.observe(bool(ec));
  if (ec) {
    server.counters().add(w.index(), runtime::Ctr::connection_errors);
    co_return nullptr;
  }
  co_return conn;
}

asio::awaitable<Dispatched> dispatch(Worker& w, Side& side, const DispatchRequest& req) {
  runtime::Backend& be = *req.backend;
  const config::Proxy& cfg = be.config();
  Dispatched out;
  runtime::Backend::PickInput in{req.hash, nullptr};
  runtime::Server* server = co_await take_slot(w, be, in, req.forced, out.reason, req.log_queue ? &out.queue : nullptr);
  if (!server) {
    out.error_status = 503;
    co_return out;
  }
  std::string sni = sni_for(*server, req.ctx);
  side.tls = nullptr;
  if (req.allow_reuse) {
    auto c = w.pool().take(server, Worker::now());
    if (c && c->sni != sni) c.reset();  // opened for another name: closed, a new one follows
    if (c) {
      side.socket = &c->socket;
      side.tls = c->tls.get();
      out.conn = std::move(c);
      out.server = server;
      out.reused = true;
      co_return out;
    }
  }
  const std::uint32_t retries = cfg.retries;
  for (std::uint32_t attempt = 0;; ++attempt) {
    auto conn = std::make_unique<ServerConn>(asio::ip::tcp::socket(w.io()));
    conn->server = server;
    FirstBytes first{req.first_a, req.first_b};
    asio::error_code ec = co_await connect_once(w, side, conn->socket, target_of(*server, req.client_dst_port),
                                                or_none(cfg.timeouts.connect), server->ssl() ? nullptr : &first);
    if (!ec && server->ssl()) ec = co_await start_tls(w, side, *conn, *server, sni, or_none(cfg.timeouts.connect));
    if (server->observes_layer4()) server->observe(bool(ec));
    if (!ec) {
      out.conn = std::move(conn);
      out.server = server;
      out.sent = first.sent;
      co_return out;
    }
    server->counters().add(w.index(), runtime::Ctr::connection_errors);
    be.counters().add(w.index(), runtime::Ctr::connection_errors);
    if (attempt >= retries) {
      be.release(*server);
      out.error_status = 503;
      out.reason = ec == asio::error::timed_out ? "connect timeout" : "cannot connect to the server";
      co_return out;
    }
    server->counters().add(w.index(), runtime::Ctr::retries);
    be.counters().add(w.index(), runtime::Ctr::retries);
    // Which retries go to another server (option redispatch [N]).
    std::uint32_t retry = attempt + 1;  // 1-based number of the retry about to happen
    bool redispatch = false;
    // A persistent server (cookie, stick) that fails is left too, when the
    // backend allows redispatching.
    if (cfg.redispatch) {
      int n = cfg.redispatch_interval;
      redispatch = n > 0 ? retry % static_cast<std::uint32_t>(n) == 0
                         : retry == retries + 1 - static_cast<std::uint32_t>(-n);
    }
    if (redispatch) {
      be.release(*server);
      runtime::Backend::PickInput again{req.hash, server};
      runtime::Server* next = co_await take_slot(w, be, again, nullptr, out.reason, nullptr);
      if (!next) {
        out.error_status = 503;
        co_return out;
      }
      if (next != server) be.counters().add(w.index(), runtime::Ctr::redispatches);
      server = next;
      sni = sni_for(*server, req.ctx);
    }
  }
}

}  // namespace tandem::balancer::proxy
