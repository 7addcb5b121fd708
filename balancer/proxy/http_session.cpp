#include "balancer/proxy/http_session.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "balancer/http/chunked.h"
#include "balancer/http/forward.h"
#include "balancer/http/request_parser.h"
#include "balancer/http/response_parser.h"
#include "balancer/http/status.h"
#include "balancer/lb/request_key.h"
#include "balancer/proxy/builtin_answer.h"
#include "balancer/proxy/request_logging.h"
#include "balancer/proxy/session_alloc.h"
#include "balancer/net/cidr.h"
#include "balancer/proxy/dispatch.h"
#include "balancer/proxy/io.h"
#include "balancer/proxy/sockets.h"
#include "balancer/proxy/tunnel.h"
#include "balancer/proxy/stick_persist.h"
#include "balancer/rules/cookie.h"
#include "balancer/tls/tls_conn.h"
#include "balancer/rules/stick_glue.h"
#include "balancer/stick/stick_time.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/strings.h"

namespace tandem::balancer::proxy {

namespace {

using asio::awaitable;
using asio::ip::tcp;
using runtime::Ctr;

// How long a keep-alive connection keeps its read buffer after a response.
// A busy client's next request then lands in it with no extra syscall; an
// idle one gives it back and waits for readability holding no buffer.
constexpr Millis kHotBufferHold{500};

// Rejections are logged at most this often per worker: a flood of garbage
// must not turn into a flood of log lines.
thread_local tandem::log::RateLimit t_reject_log(20, Millis(1000));

// How a request ended, for the keep-alive decision.
struct Exchange {
  bool client_keep_alive = false;
};

// The connection's tracked stick counters (sc0..sc2), allocated when a rule
// first tracks one: most connections never do, and an idle keep-alive one
// then carries a pointer instead of the counters (see DECISIONS.md, memory
// of idle connections). Without counters, the hooks behave as an empty
// SessionCounters would: gpc actions find no tracked entry.
class LazySticks final : public rules::StickHooks {
 public:
  void track(rules::EvalContext& ctx, int counter, const rules::SampleExpr& key, const void* table, bool http) override {
    if (!c_) {
      c_ = std::make_unique<rules::SessionCounters>();
      c_->set_in_request(in_request_);
    }
    c_->track(ctx, counter, key, table, http);
  }
  void inc_gpc(rules::EvalContext& ctx, int counter, int gpc) override {
    if (c_) c_->inc_gpc(ctx, counter, gpc);
  }
  void clr_gpc(rules::EvalContext& ctx, int counter, int gpc) override {
    if (c_) c_->clr_gpc(ctx, counter, gpc);
  }

  bool any() const { return c_ && c_->any(); }
  void set_in_request(bool in) {
    in_request_ = in;
    if (c_) c_->set_in_request(in);
  }
  void attach(rules::EvalContext& ctx) {
    if (c_) c_->attach(ctx);
    else ctx.sc = {};
  }
  void begin_request(stick::StickNow now) {
    if (c_) c_->begin_request(now);
  }
  void end_request(stick::StickNow now, bool http_error, std::uint64_t in, std::uint64_t out) {
    if (c_) c_->end_request(now, http_error, in, out);
  }
  void end_session(stick::StickNow now) {
    if (c_) c_->end_session(now);
  }

 private:
  std::unique_ptr<rules::SessionCounters> c_;
  bool in_request_ = false;
};

class HttpSession : public std::enable_shared_from_this<HttpSession>, private SessionHook {
 public:
  HttpSession(Worker& w, runtime::Runtime& rt, runtime::Frontend& fe, int client_fd, const ClientEnds& ends,
              const tls::BindContext* tls)
      : w_(w),
        rt_(rt),
        fe_(fe),
        client_(w.io()),
        tls_ctx_(tls),
        client_addr_(ends.peer.address()),
        local_addr_(ends.local.address()),
        client_port_(ends.peer.port()),
        local_port_(ends.local.port()) {
    if (client_addr_.is_v6() && client_addr_.to_v6().is_v4_mapped())
      client_addr_ = asio::ip::make_address_v4(asio::ip::v4_mapped, client_addr_.to_v6());
    client_side_.socket = &client_;
    client_side_.unregistered_fd = client_fd;
    client_side_.socket_protocol = ends.peer.protocol();
    SessionHook::rt = &rt;
    SessionHook::hard_stop = [](SessionHook* h) { static_cast<HttpSession*>(h)->hard_stop_now(); };
    w_.sessions().attach(*this);
  }

  ~HttpSession() {
    w_.sessions().detach(*this);
    if (server_) release_server(false);
    if (sticks_.any()) sticks_.end_session(stick::stick_now(SystemClock::instance()));
    fe_.sessions().leave();
    rt_.sessions().leave();
  }

  awaitable<void> run();

 private:
  // TLS termination: the handshake before the first request.
  awaitable<bool> accept_tls();
  // park: the connection went idle; it waits holding no coroutine frame.
  enum class HeadStatus { ok, closed, timed_out, error, park };

  const config::Timeouts& fe_timeouts() const { return fe_.config().timeouts; }
  unsigned wi() const { return w_.index(); }

  awaitable<HeadStatus> receive_request_head();
  awaitable<Exchange> exchange();
  awaitable<bool> send_request(runtime::Backend& be, bool& body_pending);
  awaitable<void> pump_request_body();
  awaitable<bool> forward_body(Side& from, tcp::socket& from_sock, net::IoBuffer& buf, Side& to, http::BodyKind kind,
                               std::uint64_t length, http::ChunkedDecoder& dec, int bad_status, bool to_client,
                               bool& truncated);
  awaitable<void> send_error(int status, std::string_view reason, runtime::Backend* be);
  void release_server(bool reusable);
  // hard-stop-after: both connections shut down; whatever the session waits
  // on fails, and it ends through its ordinary error paths.
  void hard_stop_now() {
    shut_down_now(client_side_);
    if (sconn_) shut_down_now(&sconn_->socket);
  }
  void log_reject(int status, std::string_view reason);
  void park();
  Millis keep_alive_timeout() const;
  void prepare_context(runtime::Backend* be);
  // Stick counters: what a request adds up, counted when it ends.
  // (Only while a request is in flight: x_ is held.)
  void count_in(std::uint64_t n) {
    fe_.counters().add(wi(), Ctr::bytes_in, n);
    x_->stick_in += n;
    x_->log.bytes_in += n;
    if (x_->backend) x_->backend->counters().add(wi(), Ctr::bytes_in, n);
    if (x_->server) x_->server->counters().add(wi(), Ctr::bytes_in, n);
  }
  void count_out(std::uint64_t n) {
    fe_.counters().add(wi(), Ctr::bytes_out, n);
    x_->stick_out += n;
    x_->log.bytes_out += n;
    if (x_->backend) x_->backend->counters().add(wi(), Ctr::bytes_out, n);
    if (x_->server) x_->server->counters().add(wi(), Ctr::bytes_out, n);
  }
  // The status sent to the client (counters and the log line).
  void note_status(int status) {
    // The backend counts every answer to a request routed to it, its own
    // rules' answers too (HAProxy counts at the end of the transaction).
    fe_.counters().add_status(wi(), status);
    if (x_->backend) x_->backend->counters().add_status(wi(), status);
    x_->log.status = status;
  }
  RequestLogState& reqlog() { return x_->log; }
  // cli_abrt/srv_abrt of the backend and server serving the request.
  void count_abort(Ctr c) {
    if (x_->backend) x_->backend->counters().add(wi(), c);
    if (server_) server_->counters().add(wi(), c);
  }
  // %CC once the request goes on to a backend or is denied (see
  // RequestLogState::capture_request_cookie).
  void capture_request_cookie() {
    if (const logging::TrafficLog* tl = fe_.traffic_log(); tl && !tl->cookie_capture().empty())
      reqlog().capture_request_cookie(*tl, x_->req);
  }
  // Parser limits: the head must leave tune.maxrewrite of the buffer free.
  http::Limits limits() const { return {rt_.global().bufsize - rt_.global().maxrewrite, rt_.global().max_headers}; }
  // The traffic log line of the request that just ended (balancer/logging).
  void log_request(bool before_any_byte = false);
  // The client went away before a complete request: HAProxy logs that as a
  // bad request (400, CR), a connection that sent nothing included unless
  // `option dontlognull`; an idle keep-alive connection closing is not logged.
  void log_aborted_request();
  void end_stick_request();
  // A request whose head never arrived whole (timeout, parse error, the
  // client gone): HAProxy counts it as a request of its own (req_tot and
  // ereq, the stick counters' http_req_cnt and, when `http_error`,
  // http_err_cnt). The status class is counted where it is answered.
  void count_failed_head(bool http_error);
  // Sends what a rule decided (deny, tarpit, auth, redirect, return): true
  // when the request was answered here.
  awaitable<bool> answer_verdict(const rules::HttpVerdict& v, runtime::Backend* be, const config::Proxy& proxy);
  // A deny answered on a connection that stays open (HAProxy keeps
  // keep-alive connections after a deny): false when it must close instead.
  awaitable<bool> deny_keeping_alive(int status, runtime::Backend* be);
  // Whether an answer of the balancer's own may keep the connection: nothing
  // of the request left unread, the client and the configuration keeping
  // connections, and the runtime not retired.
  bool answer_keeps_alive() const;
  // How an exchange answered by a rule ends.
  Exchange answered() const {
    Exchange x;
    x.client_keep_alive = verdict_keep_alive_;
    return x;
  }
  // The stats page of `proxy` or a use-service service (`service`): true when answered.
  awaitable<bool> answer_builtin(const config::Proxy& proxy, const rules::RuleSet& rules, const rules::HttpAction* service,
                                 Exchange& x);

  // A parked connection's wait operation lives in the session itself rather
  // than in a separate allocation: one object per idle connection. Only one
  // park is ever outstanding; the allocator never dereferences the session
  // (asio may release the memory after the handler dropped the last owner).
  template <typename T>
  struct ParkAllocator {
    using value_type = T;
    unsigned char* storage;
    template <typename U>
    ParkAllocator(const ParkAllocator<U>& o) : storage(o.storage) {}
    explicit ParkAllocator(unsigned char* s) : storage(s) {}
    T* allocate(std::size_t n) {
      if (n * sizeof(T) <= kParkStorage) return reinterpret_cast<T*>(storage);
      return std::allocator<T>().allocate(n);
    }
    void deallocate(T* p, std::size_t n) {
      if (reinterpret_cast<unsigned char*>(p) != storage) std::allocator<T>().deallocate(p, n);
    }
    template <typename U>
    bool operator==(const ParkAllocator<U>& o) const { return storage == o.storage; }
  };
  struct ParkHandler {
    std::shared_ptr<HttpSession> self;
    using allocator_type = ParkAllocator<void>;
    allocator_type get_allocator() const noexcept { return allocator_type(self->park_storage_); }
    void operator()(const asio::error_code& ec);
  };
  // The wait operation's size with this asio (checked in park()); a larger
  // one would fall back to the heap.
  static constexpr std::size_t kParkStorage = 136;
  alignas(std::max_align_t) unsigned char park_storage_[kParkStorage];

  Millis client_timeout() const { return or_none(fe_timeouts().client); }
  Millis server_timeout() const { return backend_ ? or_none(backend_->config().timeouts.server) : Millis(0); }

  Worker& w_;
  runtime::Runtime& rt_;
  runtime::Frontend& fe_;
  tcp::socket client_;  // not open until client_side_ registers it
  const tls::BindContext* tls_ctx_;     // set on a `bind ... ssl` listener
  std::unique_ptr<tls::TlsConn> tls_;   // the client's TLS, once accepted
  Side client_side_;
  // The addresses as the accept loop passed them; their text is made when needed (a log
  // line, X-Forwarded-For), not kept by every idle connection.
  asio::ip::address client_addr_;
  asio::ip::address local_addr_;
  std::uint16_t client_port_ = 0;
  std::uint16_t local_port_ = 0;

  std::int64_t accept_unix_us_ = 0;  // for %t in every request's log line
  net::IoBuffer cbuf_;      // bytes from the client
  ExchangePool::Ptr x_;     // per-request state; held only while a request is in flight

  runtime::Backend* backend_ = nullptr;
  runtime::Server* forced_server_ = nullptr;  // persistence (cookie, stick) chose it
  // Tracked stick counters (sc0..sc2); what a request adds to them is
  // counted in its exchange.
  LazySticks sticks_;
  runtime::Server* server_ = nullptr;  // holds a slot while set
  std::unique_ptr<ServerConn> sconn_;
  // A closed server connection a running pump may still reference; freed with
  // the session, which the pump keeps alive.
  std::unique_ptr<ServerConn> retired_conn_;
  net::SteadyTime idle_since_{};  // when the connection last went idle
  // The request body pump, when the body streams while the response is read.
  std::uint64_t req_remaining_ = 0;

  // The small fields together, last: no padding between them (every idle
  // connection holds this object; see DECISIONS.md).
  unsigned requests_ = 0;
  bool set_up_ = false;              // the connection's set-up (logs, rules, TLS) done
  bool request_started_ = false;     // bytes of a request arrived (for 408 vs silent close)
  bool verdict_keep_alive_ = false;  // a rule answered and the connection stays open
  bool http_err_ = false;  // the request counts in http_err_cnt (HAProxy's rule: 4xx from a server, deny, tarpit, auth)
  bool pump_running_ = false;
  bool pump_failed_ = false;
  bool pump_done_ = false;
  // The client's bytes are likely there already (just accepted, or a parked
  // connection became readable): the next read tries the socket at once.
  bool bytes_expected_ = false;
};

// Runs the connection from its first request, or from the moment a parked
// connection became readable again, until it closes or parks.
awaitable<void> HttpSession::run() {
  if (!set_up_) {
    set_up_ = true;
    x_ = w_.exchanges().take(limits());
    if (fe_.traffic_log()) {
      reqlog().reset(Worker::now());
      accept_unix_us_ = reqlog().start_unix_us;
      reqlog().accept_unix_us = accept_unix_us_;
    }
    // TCP_NODELAY: inherited from the listener (see start_slot).
    // tcp-request connection rules run before the handshake (as HAProxy's):
    // a rejected client costs no TLS work.
    if (fe_.rules().has_tcp_connection_rules()) {
      prepare_context(nullptr);
      x_->ctx.req = nullptr;
      if (!fe_.rules().run_tcp(x_->ctx, false, &sticks_)) {
        fe_.counters().add(wi(), Ctr::denied_connections);  // dcon, not logged (as HAProxy)
        co_return;  // tcp-request connection reject: closed at once
      }
    }
    if (tls_ctx_ && !co_await accept_tls()) co_return;
    bytes_expected_ = true;  // a client sends its request right after connecting
  }

  for (;;) {
    if (!x_) x_ = w_.exchanges().take(limits());
    if (fe_.traffic_log() && (requests_ > 0 || reqlog().any_request)) {
      reqlog().reset(Worker::now());
      reqlog().accept_unix_us = accept_unix_us_;
    }
    x_->backend = nullptr;
    x_->server = nullptr;
    HeadStatus hs = co_await receive_request_head();
    if (hs == HeadStatus::park) {
      park();
      co_return;
    }
    // A connection's first request, or a started one, that never arrived
    // whole is a failed request (count_failed_head); an idle keep-alive
    // connection closing or timing out is not. `option http-ignore-probes`
    // lets a new connection that sent nothing go unanswered and uncounted
    // (browsers' speculative pre-connects).
    const bool failed_head = request_started_ || (requests_ == 0 && !fe_.config().http_ignore_probes);
    if (hs == HeadStatus::closed) {
      if (failed_head) {
        count_failed_head(true);
        note_status(400);
        log_aborted_request();
        end_stick_request();
      }
      break;
    }
    if (hs == HeadStatus::timed_out) {
      // 408, also to a new connection that sent nothing (as HAProxy).
      if (failed_head) {
        count_failed_head(false);  // HAProxy counts no http error for a timeout
        log_reject(408, request_started_ ? "timeout while receiving the request" : "no request before timeout http-request");
        co_await send_error(408, "", nullptr);
        reqlog().bytes_out = 0;  // answered by HAProxy's connection layer: its line counts no bytes
        log_request(true);
      }
      end_stick_request();
      break;
    }
    if (hs == HeadStatus::error) {
      log_request();
      end_stick_request();
      break;
    }
    if (const logging::TrafficLog* tl = fe_.traffic_log()) {
      reqlog().head_done = Worker::now();
      reqlog().any_request = true;
      reqlog().note_request(x_->req);
      if (tl->captures_any()) reqlog().capture_request(*tl, x_->req);
    }
    Exchange x = co_await exchange();
    log_request();
    end_stick_request();
    ++requests_;
    // After a reload this runtime only finishes what it has: its next
    // response says `Connection: close` (see exchange()), and the client's
    // next connection reaches the new configuration. Never close after a
    // response that promised keep-alive: the client may be sending already.
    if (!x.client_keep_alive) break;
    idle_since_ = Worker::now();
  }
  if (client_side_.fd() >= 0) {
    // shutdown() before close(), although close() alone would send the FIN:
    // when the client's next request is already here unread, close() sends
    // only a reset, and a client sees an error where the FIN first lets it
    // see the end of the connection and retry (wrk counts a read error; a
    // reload that retires this runtime closes connections this way).
    if (tls_) tls_->close_quietly();
    client_side_.shutdown(SHUT_RDWR);
    client_side_.close();
  }
}

// Reads until a whole request head is in cbuf_ (parsed into x_->req).
awaitable<HttpSession::HeadStatus> HttpSession::receive_request_head() {
  x_->rparser.reset();
  request_started_ = !cbuf_.empty();
  // timeout http-request bounds the whole head; before the first byte of a
  // later request, timeout http-keep-alive applies (HAProxy's rules).
  // The clock is read only for a limit that is set: a fresh connection
  // without `timeout http-request` needs none.
  const Millis http_request = or_none(fe_timeouts().http_request);
  const Millis keep_alive = keep_alive_timeout();
  bool idle_phase = cbuf_.empty();
  net::SteadyTime head_deadline{};
  if (!idle_phase && http_request.count()) head_deadline = Worker::now() + http_request;

  for (;;) {
    if (!cbuf_.empty()) {
      http::ParseError err;
      http::ParseStatus st = x_->rparser.parse(cbuf_.view(), x_->req, err);
      if (st == http::ParseStatus::complete) co_return HeadStatus::ok;
      if (st == http::ParseStatus::error) {
        count_failed_head(err.status >= 400 && err.status < 500);
        log_reject(err.status, err.reason);
        co_await send_error(err.status, err.reason, nullptr);
        // As HAProxy logs a request its connection layer refused: the proxy
        // ended it (PR), no bytes counted.
        reqlog().term[0] = 'P';
        reqlog().term[1] = 'R';
        reqlog().bytes_out = 0;
        co_return HeadStatus::error;
      }
    }
    // How long we may wait for the next bytes.
    Millis limit = client_timeout();
    if (idle_phase && requests_ > 0) {
      if (keep_alive.count()) {
        Millis left = keep_alive - std::chrono::duration_cast<Millis>(Worker::now() - idle_since_);
        if (left.count() <= 0) co_return HeadStatus::timed_out;
        if (limit.count() == 0 || left < limit) limit = left;
      }
    } else if (http_request.count()) {
      auto now = Worker::now();
      if (idle_phase) head_deadline = now + http_request;
      Millis left = std::chrono::duration_cast<Millis>(head_deadline - now);
      if (left.count() <= 0) co_return HeadStatus::timed_out;
      if (limit.count() == 0 || left < limit) limit = left;
    }

    // Part of a head is here: the client may hold the rest until we ACK.
    if (!cbuf_.empty()) set_quickack(client_side_.fd(), true);
    // After a park the socket is readable: bytes (or EOF) are there.
    cbuf_.ensure(w_.buffers());
    if (cbuf_.space_size() == 0) cbuf_.compact();
    if (cbuf_.space_size() == 0) {
      // The parser refuses heads above the limit before the buffer fills.
      co_return HeadStatus::error;
    }
    bool hot = idle_phase && requests_ > 0;
    Millis read_limit = limit;
    if (hot && (read_limit.count() == 0 || read_limit > kHotBufferHold)) read_limit = kHotBufferHold;
    asio::mutable_buffer space(cbuf_.space(), cbuf_.space_size());
    std::optional<IoResult> at_once;
    if (bytes_expected_) {
      bytes_expected_ = false;
      if (!tls_) at_once = recv_now(client_side_.fd(), space);
    }
    IoResult r = at_once ? *at_once : co_await read_some(w_, client_side_, space, read_limit);
    if (r.timed_out) {
      // Only the hot-buffer hold expired: park, holding no buffer and no frame.
      if (hot && read_limit != limit) co_return HeadStatus::park;
      co_return HeadStatus::timed_out;
    }
    if (!r.ok() || r.n == 0) co_return HeadStatus::closed;
    if (idle_phase) {
      idle_phase = false;
      if (http_request.count()) head_deadline = Worker::now() + http_request;
    }
    request_started_ = true;
    cbuf_.commit(r.n);
    count_in(r.n);
  }
}

void HttpSession::prepare_context(runtime::Backend* be) {
  rules::EvalContext& c = x_->ctx;
  c.src = client_addr_;
  c.src_port = client_port_;
  c.dst = local_addr_;
  c.dst_port = local_port_;
  c.req = &x_->req;
  c.resp = nullptr;
  c.rt = &rt_;
  c.fe = &fe_;
  c.be = be;
  c.vars.clear();
  c.ssl = tls_ != nullptr;
  c.tls = tls_ ? tls_->ssl() : nullptr;
  const char* sni = tls_ ? SSL_get_servername(tls_->ssl(), TLSEXT_NAMETYPE_host_name) : nullptr;
  c.sni = sni ? std::string_view(sni) : std::string_view();
  // Two clock reads per request that only stick tables use.
  c.now = rt_.has_stick_tables() ? stick::stick_now(SystemClock::instance()) : stick::StickNow{};
  sticks_.attach(c);
}

// The TLS handshake, within `timeout client` (HAProxy bounds it the same
// way). A client that fails it (garbage, a truncated or stalled
// ClientHello, an unknown name under strict-sni, a certificate that does
// not verify) is counted, logged (rate-limited) and closed.
awaitable<bool> HttpSession::accept_tls() {
  asio::error_code ec = client_side_.ensure_registered();
  if (!ec) client_.non_blocking(true, ec);
  SSL* ssl = ec ? nullptr : tls_ctx_->new_ssl();
  if (ssl) tls::set_worker(ssl, wi());
  tls_ = tls::TlsConn::create(ssl, client_.native_handle(), true);
  if (!tls_) co_return false;
  client_side_.tls = tls_.get();
  IoResult r = co_await tls_handshake(w_, client_side_, client_timeout());
  if (r.ok()) co_return true;
  fe_.counters().add(wi(), Ctr::tls_handshake_errors);
  log_reject(0, cat("TLS handshake failed: ", r.timed_out ? std::string("timeout") : tls_->error()));
  client_side_.tls = nullptr;
  tls_.reset();
  client_side_.close();
  co_return false;
}

void HttpSession::count_failed_head(bool http_error) {
  fe_.counters().add(wi(), Ctr::http_requests);
  fe_.counters().add(wi(), Ctr::request_errors);
  if (sticks_.any()) sticks_.begin_request(stick::stick_now(SystemClock::instance()));
  http_err_ = http_error;
}

void HttpSession::end_stick_request() {
  sticks_.set_in_request(false);
  if (sticks_.any()) sticks_.end_request(stick::stick_now(SystemClock::instance()), http_err_, x_->stick_in, x_->stick_out);
  x_->stick_in = x_->stick_out = 0;
  http_err_ = false;
}

// The balancer's own error page for `status`, for a connection that stays
// open; built once per worker thread and status (a flood of denies costs no
// allocation per answer).
const std::string& keep_alive_error(int status) {
  thread_local std::map<int, std::string> pages;
  auto it = pages.find(status);
  if (it == pages.end()) it = pages.emplace(status, http::make_error_response(status, false)).first;
  return it->second;
}

bool HttpSession::answer_keeps_alive() const {
  // A retired runtime (after a reload) keeps no connection: the client's
  // next request belongs to the new configuration.
  return x_->req.body == http::BodyKind::none && x_->req.wants_keep_alive() &&
         fe_.config().http_conn_mode != config::HttpConnMode::close && !rt_.retired();
}

awaitable<bool> HttpSession::deny_keeping_alive(int status, runtime::Backend* be) {
  // Only when nothing of the request is left unread (no body), the client
  // and the configuration keep connections, and no errorfile replaces the
  // page (an errorfile is sent as written, with its own framing).
  bool custom = (be && be->config().errorfiles.contains(status)) || fe_.config().errorfiles.contains(status);
  if (custom || !answer_keeps_alive()) co_return false;
  const std::string& page = keep_alive_error(status);
  note_status(status);
  reqlog().set_error_status(status, false);  // the log line's status and PR, as send_error's
  cbuf_.consume(x_->req.head_length);
  IoResult wr = co_await write_all(w_, client_side_, asio::buffer(page), {}, client_timeout());
  if (wr.ok()) count_out(wr.n);
  verdict_keep_alive_ = wr.ok();
  if (verdict_keep_alive_) cbuf_.release_if_empty();
  co_return true;
}

awaitable<bool> HttpSession::answer_verdict(const rules::HttpVerdict& v, runtime::Backend* be, const config::Proxy& proxy) {
  using K = rules::HttpVerdict::Kind;
  verdict_keep_alive_ = false;
  // Redirects, returns and auth challenges keep the connection as HAProxy
  // does (a redirect to HTTPS costs the client no new connection here), and
  // are logged as answered locally (LR).
  const bool keep = answer_keeps_alive();
  std::string response;
  switch (v.kind) {
    case K::next:
    case K::allow:
    case K::service:  // answered by answer_builtin()
      co_return false;
    case K::deny:
      fe_.counters().add(wi(), Ctr::denied_requests);
      if (be) be->counters().add(wi(), Ctr::denied_requests);  // a backend's rule: both count it, as HAProxy
      http_err_ = true;
      capture_request_cookie();
      log_reject(v.status, cat("denied by ", v.action ? v.action->origin.where() : std::string("a rule")));
      if (!co_await deny_keeping_alive(v.status, be)) co_await send_error(v.status, "", be);
      co_return true;
    case K::tarpit: {
      // Hold the client for `timeout tarpit` (else `timeout connect`), then
      // answer: an abuser's connections stay busy, the servers do not.
      fe_.counters().add(wi(), Ctr::denied_requests);
      if (be) be->counters().add(wi(), Ctr::denied_requests);
      http_err_ = true;
      capture_request_cookie();
      Millis hold = proxy.timeouts.tarpit ? *proxy.timeouts.tarpit : or_none(proxy.timeouts.connect);
      asio::steady_timer t(w_.io());
      t.expires_after(hold);
      (void)co_await t.async_wait(use_nothrow);
      co_await send_error(v.status, "", be);
      co_return true;
    }
    case K::auth: {
      std::string realm = v.realm.empty() ? proxy.name : v.realm;
      response = http::make_error_response(401, !keep, cat("www-authenticate: Basic realm=\"", realm, "\"\r\n"));
      http_err_ = true;
      note_status(401);
      break;
    }
    case K::redirect:
      response = cat("HTTP/1.1 ", v.status, ' ', http::reason_phrase(v.status), "\r\nlocation: ", v.location,
                     "\r\ncontent-length: 0\r\ncache-control: no-cache\r\n");
      if (v.action)
        for (const auto& [n, val] : v.action->redirect.set_cookie)
          append(response, "set-cookie: ", n, '=', val == "\x01" ? "; Expires=Thu, 01-Jan-1970 00:00:01 GMT" : val, "\r\n");
      append(response, keep ? "" : "connection: close\r\n", "\r\n");
      note_status(v.status);
      break;
    case K::return_:
      response = cat("HTTP/1.1 ", v.status, ' ', http::reason_phrase(v.status), "\r\ncontent-length: ", v.body.size(),
                     "\r\ncache-control: no-cache\r\n");
      if (!v.content_type.empty()) append(response, "content-type: ", v.content_type, "\r\n");
      append(response, keep ? "" : "connection: close\r\n", "\r\n", v.body);
      note_status(v.status);
      break;
  }
  reqlog().term[0] = 'L';
  reqlog().term[1] = 'R';
  if (!be) fe_.counters().add(wi(), Ctr::intercepted);  // answered by the frontend's rules (HAProxy: fe == be)
  IoResult wr = co_await write_all(w_, client_side_, asio::buffer(response), {}, client_timeout());
  if (wr.ok()) count_out(wr.n);
  if (keep && wr.ok()) {
    cbuf_.consume(x_->req.head_length);
    cbuf_.release_if_empty();
    verdict_keep_alive_ = true;
    co_return true;
  }
  if (tls_) tls_->close_quietly();  // close_notify first: TLS clients treat a bare EOF as truncation
  client_side_.shutdown(SHUT_WR);
  co_return true;
}

awaitable<bool> HttpSession::answer_builtin(const config::Proxy& proxy, const rules::RuleSet& rules,
                                            const rules::HttpAction* service, Exchange& x) {
  if (!service && !wants_stats_page(proxy, rt_, x_->req)) co_return false;
  // The admin form's body: small, read whole into the request buffer.
  std::size_t body_len = x_->req.body == http::BodyKind::content_length ? x_->req.content_length : 0;
  if (x_->req.body == http::BodyKind::chunked || body_len > limits().max_head_bytes) {
    co_await send_error(x_->req.body == http::BodyKind::chunked ? 411 : 413, "", nullptr);
    co_return true;
  }
  if (cbuf_.size() < x_->req.head_length + body_len) set_quickack(client_side_.fd(), true);
  while (cbuf_.size() < x_->req.head_length + body_len) {
    if (cbuf_.space_size() == 0) cbuf_.compact();
    IoResult r = co_await read_some(w_, client_side_, asio::buffer(cbuf_.space(), cbuf_.space_size()), client_timeout());
    if (!r.ok() || r.n == 0) co_return true;
    cbuf_.commit(r.n);
    count_in(r.n);
  }
  std::string_view body = cbuf_.view().substr(x_->req.head_length, body_len);
  std::optional<stats::PageResponse> resp;
  if (service) resp = answer_service(rt_, service->name, x_->req);
  else resp = answer_stats_page(rt_, proxy, rules, x_->ctx, x_->req, body);
  if (!resp) co_return false;
  cbuf_.consume(x_->req.head_length + body_len);
  note_status(resp->status);
  {
    // As HAProxy logs its applets (the stats page, the Prometheus exporter):
    // server <STATS>/<PROMEX>, no wait, no connect, answered locally (LR), or
    // refused by `stats http-request deny` (PR) with no response time, then
    // counted and its cookie captured as HAProxy's denied requests.
    RequestLogState& l = reqlog();
    l.applet = service ? std::string_view("<PROMEX>") : std::string_view("<STATS>");
    l.connect_start = l.connected = Worker::now();
    const bool refused = !service && resp->status == 403;
    if (!refused) l.response_head = l.connected;
    l.term[0] = refused ? 'P' : 'L';
    l.term[1] = 'R';
    if (refused) {
      // A `stats http-request deny`: a denied request, as HAProxy's.
      fe_.counters().add(wi(), Ctr::denied_requests);
      if (&proxy != &fe_.config() && x_->backend) x_->backend->counters().add(wi(), Ctr::denied_requests);
      http_err_ = true;
      capture_request_cookie();
    } else if (&proxy == &fe_.config()) {
      fe_.counters().add(wi(), Ctr::intercepted);
    }
  }
  IoResult wr = co_await write_all(w_, client_side_, asio::buffer(resp->bytes), {}, client_timeout());
  if (wr.ok()) count_out(wr.n);
  x.client_keep_alive = wr.ok() && !resp->close;
  co_return true;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Millis HttpSession::keep_alive_timeout() const {
  const config::Timeouts& t = fe_timeouts();
  return t.http_keep_alive ? *t.http_keep_alive : or_none(t.http_request);
}

// An idle keep-alive connection waits for its next request with nothing but
// this session object: no buffer, no exchange, no coroutine frame. The wait's
// handler owns the session; readiness starts run() again, the keep-alive
// deadline (or the client closing) ends it, and the session with it.
void HttpSession::park() {
  static_assert(sizeof(asio::detail::reactive_wait_op<ParkHandler, asio::any_io_executor>) <= kParkStorage,
                "the parked wait no longer fits in the session: raise kParkStorage");
  x_.reset();
  cbuf_.release();
  if (tls_ && tls_->pending()) {
    // Records already read from the socket: readiness would never come.
    asio::co_spawn(w_.io(), [s = shared_from_this()]() -> awaitable<void> { co_await s->run(); }, asio::detached);
    return;
  }
  Millis ka = keep_alive_timeout();
  if (ka.count() > 0) {
    Millis left = ka - std::chrono::duration_cast<Millis>(Worker::now() - idle_since_);
    w_.arm(client_side_.deadline, std::max(left, Millis(1)));
  }
  // A failed registration ends the session here (its descriptor is closed).
  if (client_side_.ensure_registered()) return;
  client_.async_wait(tcp::socket::wait_read, ParkHandler{shared_from_this()});
}

void HttpSession::ParkHandler::operator()(const asio::error_code& ec) {
  self->client_side_.deadline.disarm();
  if (ec) return;  // keep-alive timeout or shutdown: the session ends here
  // The executor first: function arguments are evaluated in no set order,
  // and g++ moved `self` into the lambda before reading self->w_, so a
  // parked connection died when its next request arrived.
  asio::io_context& io = self->w_.io();
  self->bytes_expected_ = true;
  asio::co_spawn(io, [s = std::move(self)]() -> awaitable<void> { co_await s->run(); }, asio::detached);
}

awaitable<Exchange> HttpSession::exchange() {
  Exchange x;
  fe_.counters().add(wi(), Ctr::http_requests);
  const std::string& monitor = fe_.config().monitor_uri;
  if (!monitor.empty() && x_->req.target.substr(0, x_->req.target.find('?')) == monitor) {
    // Answered by the balancer itself, for an upstream load balancer or a
    // prober: 200 while this frontend can serve, 503 when a `monitor fail`
    // condition holds.
    prepare_context(nullptr);
    bool failing = fe_.rules().monitor_fails(x_->ctx);
    reqlog().monitor = true;  // HAProxy logs no monitor-uri request
    fe_.counters().add(wi(), Ctr::intercepted);
    const bool keep = answer_keeps_alive();
    std::string r = failing ? http::make_error_response(503, !keep)
                            : cat("HTTP/1.1 200 OK\r\ncontent-length: 58\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n",
                                  keep ? "" : "connection: close\r\n",
                                  "\r\n<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n");
    note_status(failing ? 503 : 200);
    cbuf_.consume(x_->req.head_length);
    IoResult wr = co_await write_all(w_, client_side_, asio::buffer(r), {}, client_timeout());
    x.client_keep_alive = wr.ok() && keep;
    co_return x;
  }
  prepare_context(nullptr);
  rules::EvalContext& ctx = x_->ctx;
  if (sticks_.any()) sticks_.begin_request(ctx.now);
  sticks_.set_in_request(true);
  const rules::RuleSet& fe_rules = fe_.rules();
  ctx.req_len = cbuf_.size();  // req.len: the content rules run once, on the whole head (final)
  if (fe_rules.has_tcp_content_rules() && !fe_rules.run_tcp(ctx, true, &sticks_)) {
    fe_.counters().add(wi(), Ctr::denied_requests);
    co_return x;  // rejected: the connection closes without an answer, as HAProxy
  }
  if (auto v = fe_rules.run_http_request(ctx, x_->req, &sticks_); co_await answer_verdict(v, nullptr, fe_.config()))
    co_return answered();
  else if (v.kind == rules::HttpVerdict::Kind::service && co_await answer_builtin(fe_.config(), fe_rules, v.action, x))
    co_return x;
  if (auto r = fe_rules.run_redirects(ctx); r && co_await answer_verdict(*r, nullptr, fe_.config())) co_return answered();
  if (co_await answer_builtin(fe_.config(), fe_rules, nullptr, x)) co_return x;
  runtime::Backend* be = fe_rules.route(ctx, [this](std::string_view n) { return rt_.find_backend(n); });
  if (!be) be = fe_.default_backend();
  if (!be) {
    log_reject(503, "no backend for the request");
    co_await send_error(503, "", nullptr);
    co_return x;
  }
  ctx.be = be;
  x_->backend = be;  // a backend's own answers below are logged (and their bytes counted) under it
  be->counters().add(wi(), Ctr::http_requests);
  if (be->rules_ptr() != fe_.rules_ptr()) {
    // A backend of its own (not this listen section): its rules run too.
    const rules::RuleSet& be_rules = be->rules();
    if (be_rules.has_tcp_content_rules() && !be_rules.run_tcp(ctx, true, &sticks_)) {
      be->counters().add(wi(), Ctr::denied_requests);
      co_return x;
    }
    if (auto v = be_rules.run_http_request(ctx, x_->req, &sticks_); co_await answer_verdict(v, be, be->config()))
      co_return answered();
    if (auto r = be_rules.run_redirects(ctx); r && co_await answer_verdict(*r, be, be->config())) co_return answered();
    if (co_await answer_builtin(be->config(), be_rules, nullptr, x)) co_return x;
  }
  backend_ = be;
  capture_request_cookie();

  // Cookie persistence: the client's cookie names the server to use.
  const config::CookieConfig& cookie = be->config().cookie;
  rules::CookieSeen seen;
  forced_server_ = nullptr;
  if (!cookie.name.empty()) {
    seen = rules::take_request_cookie(cookie, x_->req.headers, ctx, now_seconds());
    if (seen.valid) {
      for (const auto& s : be->servers()) {
        if (s->config().params.cookie != seen.value) continue;
        // DRAIN and NOLB servers keep their persistent clients; a DOWN or
        // MAINT one only with `option persist`.
        runtime::ServerState st = s->state();
        bool alive = st == runtime::ServerState::up || st == runtime::ServerState::drain || st == runtime::ServerState::nolb;
        if (alive || (be->config().persist && st == runtime::ServerState::down)) forced_server_ = s.get();
        break;
      }
    }
  }

  // Stick persistence, when no cookie decided: a sticky server that cannot
  // take the request is left for another with `option redispatch` (the
  // store rules then move the key), else the request gets 503.
  if (!forced_server_ && be->rules().has_stick_rules()) {
    StickMatch m = stick_match(*be, ctx);
    forced_server_ = m.server;
    if (m.down && !be->config().redispatch) {
      log_reject(503, "the sticky server is down (no option redispatch)");
      co_await send_error(503, "", be);
      co_return x;
    }
  }

  bool body_pending = false;
  bool sent = co_await send_request(*be, body_pending);
  if (!sent) co_return x;  // an error response was sent, or the client is gone
  if (be->rules().has_stick_rules()) stick_store(*be, ctx, *server_, false);

  // Read the response head; interim responses (100, 103) are forwarded and
  // the final one awaited.
  x_->sparser.reset();
  bool got_any = false;
  for (;;) {
    if (!x_->sbuf.empty()) {
      http::ParseError err;
      http::ParseStatus st = x_->sparser.parse(x_->sbuf.view(), x_->req.method, x_->resp, err);
      if (st == http::ParseStatus::error) {
        server_->counters().add(wi(), Ctr::response_errors);
        be->counters().add(wi(), Ctr::response_errors);
        if (server_->observes_layer7()) server_->observe(true);
        log_reject(502, err.reason);
        release_server(false);
        co_await send_error(502, err.reason, be);
        co_return x;
      }
      if (st == http::ParseStatus::complete) {
        if (!x_->resp.interim()) break;
        x_->head_out.clear();
        http::write_response_head(x_->resp, {x_->req.version, false}, x_->head_out);
        x_->sbuf.consume(x_->resp.head_length);
        IoResult wr = co_await write_all(w_, client_side_, asio::buffer(x_->head_out), {}, client_timeout());
        if (!wr.ok()) {
          release_server(false);
          co_return x;
        }
        x_->sparser.reset();
        continue;
      }
    }
    if (!x_->sbuf.allocated()) x_->sbuf.ensure(w_.buffers());
    if (x_->sbuf.space_size() == 0) x_->sbuf.compact();
    IoResult r = co_await read_some(w_, x_->server_side, asio::buffer(x_->sbuf.space(), x_->sbuf.space_size()), server_timeout());
    if (!r.ok() || r.n == 0) {
      if (pump_failed_) {
        // The client went away while sending its body: nobody to answer.
        release_server(false);
        co_return x;
      }
      int status = r.timed_out ? 504 : 502;
      const char* why = r.timed_out ? "server timeout" : got_any ? "server closed mid-response" : "server closed without a response";
      server_->counters().add(wi(), Ctr::response_errors);
      be->counters().add(wi(), Ctr::response_errors);
      if (server_->observes_layer7()) server_->observe(true);
      log_reject(status, why);
      release_server(false);
      co_await send_error(status, why, be);
      co_return x;
    }
    got_any = true;
    x_->sbuf.commit(r.n);
  }

  // The final response head: the backend's http-response rules, then the frontend's.
  {
    rules::EvalContext& ctx = x_->ctx;
    ctx.resp = &x_->resp;
    bool denied = false;
    if (be->rules().has_http_response_rules()) {
      auto v = be->rules().run_http_response(ctx, x_->resp, nullptr);
      denied = v.kind == rules::HttpVerdict::Kind::deny;
    }
    if (!denied && be->rules_ptr() != fe_.rules_ptr() && fe_.rules().has_http_response_rules()) {
      auto v = fe_.rules().run_http_response(ctx, x_->resp, nullptr);
      denied = v.kind == rules::HttpVerdict::Kind::deny;
    }
    if (denied) {
      // The server's answer is withheld (HAProxy: 502 by default), counted
      // as a denied response (dresp) of the frontend, backend and server and
      // logged PH (the proxy, in the response headers), as HAProxy's.
      fe_.counters().add(wi(), Ctr::denied_responses);
      be->counters().add(wi(), Ctr::denied_responses);
      server_->counters().add(wi(), Ctr::denied_responses);
      release_server(false);
      log_reject(502, "response denied by http-response rules");
      co_await send_error(502, "", be);
      reqlog().term[0] = 'P';
      reqlog().term[1] = 'H';
      co_return x;
    }
  }
  if (be->rules().has_stick_rules()) stick_store(*be, x_->ctx, *server_, true);
  {
    int st = x_->resp.status;
    if (st >= 400 && st < 500) http_err_ = true;
  }
  if (!cookie.name.empty())
    rules::apply_response_cookie(cookie, seen, server_->config().params.cookie, x_->req.method, x_->resp.headers,
                                 x_->ctx, now_seconds());
  if (server_->observes_layer7()) {
    int st = x_->resp.status;
    server_->observe(st >= 500 && st != 501 && st != 505);
  }
  server_->counters().add_status(wi(), x_->resp.status);
  note_status(x_->resp.status);
  const config::HttpConnMode mode = fe_.config().http_conn_mode;
  bool switching = x_->resp.status == 101 && x_->req.upgrade;
  if (fe_.traffic_log()) reqlog().response_head = Worker::now();
  if (const logging::TrafficLog* tl = fe_.traffic_log(); tl && tl->captures_any()) reqlog().capture_response(*tl, x_->resp);
  bool client_keep = x_->req.wants_keep_alive() && x_->resp.body != http::BodyKind::until_close &&
                     mode != config::HttpConnMode::close && !switching && !rt_.retired();
  // An answer that arrives before the request body is complete leaves the
  // client connection out of step: it must close after this response.
  bool early = body_pending && !pump_done_;
  if (early) client_keep = false;

  x_->head_out.clear();
  http::write_response_head(x_->resp, {x_->req.version, !client_keep && !switching}, x_->head_out);
  x_->sbuf.consume(x_->resp.head_length);

  if (switching) {
    IoResult wr = co_await write_all(w_, client_side_, asio::buffer(x_->head_out), {}, client_timeout());
    if (!wr.ok()) {
      release_server(false);
      co_return x;
    }
    const config::Timeouts& bt = be->config().timeouts;
    TunnelTimeouts tt;
    if (bt.tunnel) tt.idle = *bt.tunnel;
    else {
      Millis c = client_timeout(), s = server_timeout();
      tt.idle = c.count() && s.count() ? std::min(c, s) : std::max(c, s);
    }
    tt.client_fin = or_none(fe_timeouts().client_fin);
    tt.server_fin = or_none(bt.server_fin);
    set_quickack(client_side_.fd(), true);  // a stream now, not requests answered by responses
    // A failed registration closes the descriptor: the tunnel's first read fails.
    (void)client_side_.ensure_registered();
    TunnelResult tr = co_await run_tunnel(w_, client_, sconn_->socket, cbuf_, x_->sbuf, tt, tls_.get(), sconn_->tls.get());
    count_in(tr.client_to_server);
    count_out(tr.server_to_client);
    release_server(false);
    co_return x;
  }

  // Head and the body bytes already here, in one write.
  x_->resp_chunks.reset();
  std::uint64_t remaining = x_->resp.content_length;
  bool body_done = x_->resp.body == http::BodyKind::none;
  std::size_t first = 0;
  if (!body_done && !x_->sbuf.empty()) {
    if (x_->resp.body == http::BodyKind::content_length) {
      first = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, x_->sbuf.size()));
      remaining -= first;
      body_done = remaining == 0;
    } else if (x_->resp.body == http::BodyKind::chunked) {
      http::ChunkedDecoder::Step step;
      http::ParseError err;
      if (!x_->resp_chunks.feed(x_->sbuf.view(), 502, step, err)) {
        server_->counters().add(wi(), Ctr::response_errors);
        log_reject(502, err.reason);
        release_server(false);
        co_await send_error(502, err.reason, be);
        co_return x;
      }
      first = step.consumed;
      body_done = step.done;
    } else {
      first = x_->sbuf.size();
    }
  }
  IoResult wr = co_await write_all(w_, client_side_, asio::buffer(x_->head_out), asio::buffer(x_->sbuf.data(), first), client_timeout());
  if (!wr.ok()) {
    reqlog().term[0] = 'C';  // the client went away while the response was sent
    reqlog().term[1] = 'D';
    release_server(false);
    co_return x;
  }
  count_out(wr.n);
  x_->sbuf.consume(first);
  if (!body_done) {
    bool truncated = false;
    bool ok = co_await forward_body(x_->server_side, sconn_->socket, x_->sbuf, client_side_, x_->resp.body, remaining,
                                    x_->resp_chunks, 502, true, truncated);
    if (!ok) {
      // A response cut short cannot be repaired: the client sees the
      // connection close before the announced end. A server that closed
      // early, or sent a bad chunk, gave an invalid response (eresp, as
      // HAProxy); a timeout or a client that left did not.
      const char who = reqlog().term[0];
      if (who != 's' && who != 'c' && who != 'C') {
        be->counters().add(wi(), Ctr::response_errors);
        if (server_) server_->counters().add(wi(), Ctr::response_errors);
      }
      release_server(false);
      co_return x;
    }
  }

  // The response is complete. Reuse the server connection when it can carry
  // another request: framed response, nothing extra after it, server willing.
  bool server_keep = x_->resp.server_keeps_alive() && x_->resp.body != http::BodyKind::until_close && x_->sbuf.empty() &&
                     mode == config::HttpConnMode::keep_alive && !(body_pending && !pump_done_);
  release_server(server_keep);
  x_->sbuf.release();
  if (pump_running_) {
    // The client is still sending a body nobody will read: close.
    client_keep = false;
  }
  x.client_keep_alive = client_keep && !pump_failed_;
  if (x.client_keep_alive) cbuf_.release_if_empty();
  co_return x;
}

// Connects to a server and sends the request head with whatever body bytes
// are already here. Starts the body pump when more is to come.
awaitable<bool> HttpSession::send_request(runtime::Backend& be, bool& body_pending) {
  const config::Proxy& fecfg = fe_.config();
  DispatchRequest dr;
  dr.backend = &be;
  dr.allow_reuse = requests_ > 0;  // http-reuse safe: a connection's first request opens its own
  dr.client_dst_port = local_port_;
  dr.hash = lb::request_hash(be.config().balance, x_->req, client_addr_);
  dr.forced = forced_server_;
  dr.ctx = &x_->ctx;
  dr.log_queue = fe_.traffic_log() != nullptr;

  x_->head_out.clear();
  std::string client_ip;  // X-Forwarded-For's value
  http::RequestRewrite rw;
  bool fe_xff = fecfg.forwardfor.enabled;
  const config::ForwardFor& xff = fe_xff ? fecfg.forwardfor : be.config().forwardfor;
  const std::optional<net::Cidr>& except = fe_xff ? fe_.xff_except() : be.xff_except();
  if (xff.enabled && !(except && except->contains(client_addr_))) {
    rw.forwarded_for_header = xff.header;
    client_ip = client_addr_.to_string();
    rw.client_ip = client_ip;
    rw.forwarded_for_if_none = xff.if_none;
  }
  rw.close = fecfg.http_conn_mode != config::HttpConnMode::keep_alive || be.config().http_conn_mode != config::HttpConnMode::keep_alive;
  http::write_request_head(x_->req, rw, x_->head_out);
  std::size_t head_len = x_->req.head_length;

  // The body bytes that arrived with the head.
  x_->req_chunks.reset();
  std::size_t first = 0;
  req_remaining_ = 0;
  bool body_done = x_->req.body == http::BodyKind::none;
  std::string_view after = cbuf_.view().substr(head_len);
  if (x_->req.body == http::BodyKind::content_length) {
    first = static_cast<std::size_t>(std::min<std::uint64_t>(x_->req.content_length, after.size()));
    req_remaining_ = x_->req.content_length - first;
    body_done = req_remaining_ == 0;
  } else if (x_->req.body == http::BodyKind::chunked) {
    http::ChunkedDecoder::Step step;
    http::ParseError err;
    if (!x_->req_chunks.feed(after, 400, step, err)) {
      fe_.counters().add(wi(), Ctr::request_errors);
      log_reject(400, err.reason);
      co_await send_error(400, err.reason, nullptr);
      co_return false;
    }
    first = step.consumed;
    body_done = step.done;
  }

  dr.first_a = asio::buffer(x_->head_out);
  dr.first_b = asio::buffer(cbuf_.data() + head_len, first);
  for (int attempt = 0;; ++attempt) {
    if (fe_.traffic_log()) reqlog().connect_start = Worker::now();  // for the log only, as the next
    Dispatched d = co_await dispatch(w_, x_->server_side, dr);
    if (attempt == 0) reqlog().queue = d.queue;
    if (!d.conn) {
      log_reject(d.error_status, d.reason);
      co_await send_error(d.error_status, "", &be);
      co_return false;
    }
    server_ = d.server;
    x_->server = d.server;
    server_->sessions().enter();  // until release_server(): the log's %sc, HAProxy's cur_sess
    if (fe_.traffic_log()) reqlog().connected = Worker::now();
    sconn_ = std::move(d.conn);
    x_->server_side.socket = &sconn_->socket;
    x_->server_side.tls = sconn_->tls.get();
    server_->counters().add(wi(), Ctr::http_requests);
    server_->counters().add(wi(), Ctr::sessions_total);

    // What the connect's own send did not carry (see DispatchRequest).
    asio::const_buffer rest_a = dr.first_a, rest_b = dr.first_b;
    if (d.sent >= rest_a.size()) {
      rest_b += d.sent - rest_a.size();
      rest_a = asio::const_buffer();
    } else {
      rest_a += d.sent;
    }
    IoResult wr = co_await write_all(w_, x_->server_side, rest_a, rest_b, server_timeout());
    wr.n += d.sent;
    if (!wr.ok()) {
      release_server(false);
      // A reused connection the server had just closed: once more on a fresh
      // one, when nothing of the request is lost.
      if (d.reused && attempt == 0) {
        dr.allow_reuse = false;
        continue;
      }
      log_reject(503, "cannot send the request to the server");
      co_await send_error(503, "", &be);
      co_return false;
    }
    // The request as sent (head and the body bytes with it); the rest of
    // the body is counted by the pump.
    be.counters().add(wi(), Ctr::bytes_in, wr.n);
    server_->counters().add(wi(), Ctr::bytes_in, wr.n);
    break;
  }
  cbuf_.consume(head_len + first);

  body_pending = !body_done;
  pump_running_ = false;
  pump_failed_ = false;
  pump_done_ = body_done;
  if (body_pending) {
    set_quickack(client_side_.fd(), true);  // more is to come: ACK it as it arrives
    pump_running_ = true;
    // The pump's side shares the socket: registered first, once. A failed
    // registration closes the descriptor: the pump's first read fails.
    (void)client_side_.ensure_registered();
    x_->pump_client_side.socket = &client_;
    x_->pump_client_side.tls = tls_.get();
    x_->pump_server_side.socket = &sconn_->socket;
    x_->pump_server_side.tls = sconn_->tls.get();
    asio::co_spawn(w_.io(), [self = shared_from_this()]() -> awaitable<void> { co_await self->pump_request_body(); },
                   asio::detached);
  }
  co_return true;
}

// Streams the rest of the request body, concurrently with reading the response.
awaitable<void> HttpSession::pump_request_body() {
  bool truncated = false;
  if (!cbuf_.allocated()) cbuf_.ensure(w_.buffers());
  bool ok = co_await forward_body(x_->pump_client_side, client_, cbuf_, x_->pump_server_side, x_->req.body, req_remaining_,
                                  x_->req_chunks, 400, false, truncated);
  pump_running_ = false;
  if (ok) {
    pump_done_ = true;
  } else {
    pump_failed_ = true;
    fe_.counters().add(wi(), Ctr::request_errors);
    // No complete request will reach the server: stop waiting for its answer.
    if (sconn_) {
      asio::error_code ec;
      sconn_->socket.cancel(ec);
    }
  }
}

// Copies a body from one side to the other until its end (per `kind`).
// Returns false when either side failed or the body was malformed.
awaitable<bool> HttpSession::forward_body(Side& from, tcp::socket&, net::IoBuffer& buf, Side& to,
                                          http::BodyKind kind, std::uint64_t length, http::ChunkedDecoder& dec,
                                          int bad_status, bool to_client, bool& truncated) {
  Millis from_timeout = to_client ? server_timeout() : client_timeout();
  Millis to_timeout = to_client ? client_timeout() : server_timeout();
  std::uint64_t remaining = length;
  for (;;) {
    if (buf.empty()) {
      if (!buf.allocated()) buf.ensure(w_.buffers());
      IoResult r = co_await read_some(w_, from, asio::buffer(buf.space(), buf.space_size()), from_timeout);
      if (!r.ok() || r.n == 0) {
        if (kind == http::BodyKind::until_close && (r.ec == asio::error::eof || (r.ok() && r.n == 0))) co_return true;
        truncated = true;
        // The response body ended early: the server closed (SD) or stayed
        // silent past `timeout server` (sD), as HAProxy's termination state.
        if (to_client) {
          reqlog().term[0] = r.timed_out ? 's' : 'S', reqlog().term[1] = 'D';
          count_abort(Ctr::server_aborts);
        }
        co_return false;
      }
      buf.commit(r.n);
    }
    std::size_t n = buf.size();
    bool done = false;
    if (kind == http::BodyKind::content_length) {
      n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, n));
      remaining -= n;
      done = remaining == 0;
    } else if (kind == http::BodyKind::chunked) {
      http::ChunkedDecoder::Step step;
      http::ParseError err;
      if (!dec.feed(buf.view(), bad_status, step, err)) {
        log_reject(bad_status, err.reason);
        co_return false;
      }
      n = step.consumed;
      done = step.done;
    }
    if (n) {
      IoResult wr = co_await write_all(w_, to, asio::buffer(buf.data(), n), {}, to_timeout);
      if (!wr.ok()) {
        // The client left (CD) or stopped reading past `timeout client` (cD).
        if (to_client) {
          reqlog().term[0] = wr.timed_out ? 'c' : 'C', reqlog().term[1] = 'D';
          count_abort(Ctr::client_aborts);
        }
        co_return false;
      }
      if (to_client) count_out(n);
      else count_in(n);
      buf.consume(n);
    }
    if (done) co_return true;
  }
}

void HttpSession::release_server(bool reusable) {
  if (!server_) return;
  runtime::Server* s = server_;
  server_ = nullptr;
  s->sessions().leave();
  if (x_) x_->log.srv_conn_at_release = static_cast<std::int64_t>(s->sessions().current());
  if (sconn_) {
    if (reusable) {
      ++sconn_->requests;
      x_->server_side.socket = nullptr;
      x_->server_side.tls = nullptr;
      w_.pool().give(std::move(sconn_), Worker::now());
    } else {
      asio::error_code ec;
      sconn_->socket.close(ec);
      x_->server_side.socket = nullptr;
      x_->server_side.tls = nullptr;
      if (pump_running_) retired_conn_ = std::move(sconn_);
      else sconn_.reset();
    }
  }
  s->backend().release(*s);
}

awaitable<void> HttpSession::send_error(int status, std::string_view, runtime::Backend* be) {
  const std::string* custom = nullptr;
  if (be) {
    auto it = be->config().errorfiles.find(status);
    if (it != be->config().errorfiles.end()) custom = &it->second.content;
  }
  if (!custom) {
    auto it = fe_.config().errorfiles.find(status);
    if (it != fe_.config().errorfiles.end()) custom = &it->second.content;
  }
  std::string body = custom ? *custom : http::make_error_response(status, true);
  reqlog().set_error_status(status, server_ != nullptr);
  note_status(status);
  // Whatever else the client sent is not going to be read.
  IoResult wr = co_await write_all(w_, client_side_, asio::buffer(body), {}, client_timeout());
  if (wr.ok()) count_out(wr.n);
  if (tls_) tls_->close_quietly();  // close_notify first: TLS clients treat a bare EOF as truncation
  client_side_.shutdown(SHUT_WR);
}

void HttpSession::log_aborted_request() {
  if (!fe_.traffic_log() || !x_) return;
  reqlog().status = 400;
  reqlog().term[0] = 'C';
  reqlog().term[1] = 'R';
  log_request(true);
}

void HttpSession::log_request(bool before_any_byte) {
  const logging::TrafficLog* t = fe_.traffic_log();
  if (!t || !x_ || (!reqlog().any_request && !request_started_ && !before_any_byte)) return;
  const std::string client_ip = client_addr_.to_string();
  const std::string local_ip = local_addr_.to_string();
  LogContext c;
  c.rt = &rt_;
  c.fe = &fe_;
  c.be = x_->backend;
  c.server = x_->server;
  c.slot_held = server_ != nullptr;
  c.client_ip = client_ip;
  c.local_ip = local_ip;
  c.client_port = client_port_;
  c.local_port = local_port_;
  c.req = reqlog().head_done != RequestLogState::Steady{} ? &x_->req : nullptr;
  if (t->uses_samples()) {
    // %[...] parts read the request's rule context; a request that failed
    // before exchange() has none of its own yet: the connection's, then.
    if (!c.req) {
      prepare_context(nullptr);
      x_->ctx.req = nullptr;
    }
    if (rt_.has_stick_tables()) x_->ctx.now = stick::stick_now(SystemClock::instance());  // rates as of the log line, as HAProxy
    c.eval = &x_->ctx;
  }
  emit_request_log(*t, reqlog(), c, Worker::now());
}

void HttpSession::log_reject(int status, std::string_view reason) {
  unsigned long long suppressed = 0;
  if (!t_reject_log.allow(Worker::now(), suppressed)) return;
  std::string extra = suppressed ? cat(" (", suppressed, " similar lines suppressed)") : std::string();
  const std::string client_ip = client_addr_.to_string();
  if (status == 0) log::warning(fe_.name(), ": connection from ", client_ip, ": ", reason, extra);  // no HTTP answer
  else log::warning(fe_.name(), ": ", status, " to ", client_ip, ": ", reason, extra);
}

}  // namespace

void serve_http(Worker& w, runtime::Runtime& rt, runtime::Frontend& fe, int client_fd, const ClientEnds& ends,
                const tls::BindContext* tls) {
  // The session in its own arena (session_alloc.h): idle connections pack
  // densely whatever the sizes of the frames of requests in flight.
  auto s = std::allocate_shared<HttpSession>(SessionAllocator<HttpSession>{}, w, rt, fe, client_fd, ends, tls);
  asio::co_spawn(w.io(), [s = std::move(s)]() -> awaitable<void> { co_await s->run(); }, asio::detached);
}

}  // namespace tandem::balancer::proxy
