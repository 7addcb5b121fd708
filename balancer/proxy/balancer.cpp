#include "balancer/proxy/balancer.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <unordered_set>

#include "balancer/logging/traffic_log.h"
#include "balancer/net/listen_socket.h"
#include "balancer/proxy/http_session.h"
#include "balancer/proxy/io.h"
#include "balancer/proxy/sockets.h"
#include "balancer/proxy/tcp_session.h"
#include "balancer/runtime/carry_state.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/strings.h"

namespace tandem::balancer::proxy {

using asio::ip::tcp;

namespace {

// Where a listener's connections go. A reload replaces it; the accept loop
// reads it on its own worker's thread between accepts.
struct AcceptTarget {
  runtime::Runtime* rt = nullptr;
  runtime::Frontend* fe = nullptr;
  const tls::BindContext* tls = nullptr;
};

// One listener on one worker: its socket (SO_REUSEPORT: each worker has its
// own) and where its connections go. Touched only on that worker's thread
// once started; the accept loop owns a reference, so closing it is safe
// while the loop is suspended on it.
struct AcceptSlot {
  explicit AcceptSlot(asio::io_context& io) : acceptor(io) {}
  tcp::acceptor acceptor;
  AcceptTarget target;
  // The local end of every connection, when the listener has one address
  // (fixed_local_end): no getsockname per connection.
  std::optional<tcp::endpoint> local;
};

}  // namespace

struct Balancer::Listener {
  std::string identity;  // net::listener_identity
  config::Bind bind;
  std::string frontend;       // the frontend serving it in the current generation
  std::size_t bind_index = 0;  // its position among that frontend's binds
  int backlog = 0;
  std::vector<int> fds;       // one per worker (SO_REUSEPORT), or duplicates of fd@N; until started
  std::vector<std::shared_ptr<AcceptSlot>> slots;  // one per worker, once started
  std::vector<int> live_fds;  // the slots' descriptors (for _getsocks, read on other threads)
};

// An old generation finishing its connections.
struct Balancer::Retired {
  std::shared_ptr<Generation> gen;
  std::optional<std::chrono::steady_clock::time_point> hard_stop_at;
  bool hard_stopped = false;
  // Set once no session is left: each worker drops its idle connections to
  // the old servers and counts itself here; at workers_.size() the
  // generation can go.
  std::shared_ptr<std::atomic<unsigned>> drained;
};

namespace {

AcceptTarget target_of(Generation& g, const std::string& frontend, std::size_t bind_index) {
  runtime::Frontend* fe = g.runtime->find_frontend(frontend);
  return AcceptTarget{g.runtime.get(), fe, fe->bind_tls(bind_index)};
}

// Accepts on one listener for one worker. When the global or the frontend's
// maxconn is reached, it stops accepting (connections wait in the kernel's
// backlog, as with HAProxy) and looks again every few milliseconds.
asio::awaitable<void> accept_loop(Worker& w, std::shared_ptr<AcceptSlot> slot) {
  asio::steady_timer pause(w.io());
  tcp::acceptor& acceptor = slot->acceptor;
  // Accepts run non-blocking until the backlog is empty; then the loop
  // waits for readiness holding no session slot: an idle accept loop holds
  // none (it would show as a session and lower maxconn).
  // At maxconn the loop stops accepting and leaves connections in the
  // kernel's backlog, as HAProxy does.
  asio::error_code nb_ec;
  acceptor.non_blocking(true, nb_ec);
  unsigned burst = 0;
  for (;;) {
    // The new sessions start only when this loop yields: do so every few
    // accepts, so that a flood of connections cannot starve them.
    if (++burst % 4 == 0) co_await asio::post(w.io(), asio::use_awaitable);
    if (!acceptor.is_open()) co_return;
    // Read after every wait: a reload may have changed it meanwhile. No
    // session slot is held across a wait, so none is ever taken on one
    // runtime and given back to another.
    const AcceptTarget t = slot->target;
    runtime::Runtime& rt = *t.rt;
    runtime::Frontend& fe = *t.fe;
    if (!rt.sessions().try_enter(rt.maxconn())) {
      pause.expires_after(std::chrono::milliseconds(5));
      (void)co_await pause.async_wait(use_nothrow);
      continue;
    }
    if (!fe.sessions().try_enter(fe.config().maxconn)) {
      rt.sessions().leave();
      pause.expires_after(std::chrono::milliseconds(5));
      (void)co_await pause.async_wait(use_nothrow);
      continue;
    }
    // accept4 rather than asio's accept: the socket comes non-blocking and
    // with the peer's address (no ioctl, no getpeername; see sockets.h).
    ClientEnds ends;
    int fd = accept_now(acceptor.native_handle(), ends.peer);
    asio::error_code ec;
    if (fd < 0) ec = asio::error_code(errno, asio::system_category());
    if (ec) {
      fe.sessions().leave();
      rt.sessions().leave();
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        // Nothing waiting: wait without a slot, then take one again.
        auto [wait_ec] = co_await acceptor.async_wait(tcp::acceptor::wait_read, use_nothrow);
        if (wait_ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;
      }
      if (!acceptor.is_open()) co_return;
      // The connection went away before it was accepted (as asio's accept
      // does, ignored), or a signal: take the next one.
      if (ec == asio::error::connection_aborted || ec.value() == EPROTO || ec == asio::error::interrupted) continue;
      // EMFILE/ENFILE and friends: back off instead of spinning.
      log::warning(fe.name(), ": accept: ", ec.message());
      pause.expires_after(std::chrono::milliseconds(100));
      (void)co_await pause.async_wait(use_nothrow);
      continue;
    }
    if (slot->local) ends.local = *slot->local;
    else if (!local_end(fd, ends.local)) {
      ::close(fd);
      fe.sessions().leave();
      rt.sessions().leave();
      continue;
    }
    fe.counters().add(w.index(), runtime::Ctr::sessions_total);
    if (fe.mode() == config::Mode::http) {
      serve_http(w, rt, fe, fd, ends, t.tls);
      continue;
    }
    tcp::socket sock = adopt_accepted(w.io(), fd, ends.peer, ec);
    if (ec) {
      fe.sessions().leave();
      rt.sessions().leave();
      continue;
    }
    asio::co_spawn(w.io(), serve_tcp(w, rt, fe, std::move(sock), ends, t.tls), asio::detached);
  }
}

// Starts accepting on `fd` (taken over) for worker `w`.
std::shared_ptr<AcceptSlot> start_slot(Worker& w, const config::Bind& bind, int fd, AcceptTarget target) {
  auto slot = std::make_shared<AcceptSlot>(w.io());
  slot->target = target;
  asio::error_code ec;
  // The family comes from the socket itself: an inherited fd@N may be either.
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  slot->acceptor.assign(ss.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
  if (!ec) {
    slot->local = fixed_local_end(fd, bind.transparent);
    // Accepted sockets inherit TCP_NODELAY from the listener (Linux copies
    // the listener's TCP state into each child): one call here instead of
    // one per connection.
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // And delayed ACKs, for plain HTTP: see set_quickack. Not under TLS: a
    // ClientHello larger than a segment would wait for our delayed ACK at a
    // client whose Nagle holds its last piece, and the handshake's own
    // back-and-forth gives the kernel's heuristics what they need anyway.
    if (target.fe->mode() == config::Mode::http && !target.tls) set_quickack(fd, false);
  }
  if (ec) {
    log::alert(bind.origin.where(), ": bind ", bind.text(), ": ", ec.message());
    ::close(fd);
    return nullptr;
  }
  asio::co_spawn(w.io(), accept_loop(w, slot), asio::detached);
  return slot;
}

void close_fds(std::vector<int>& fds) {
  for (int fd : fds)
    if (fd >= 0) ::close(fd);
  fds.clear();
}

}  // namespace

Result<std::shared_ptr<Generation>> Balancer::build(const config::Config& cfg) {
  auto g = std::make_shared<Generation>();
  auto rt = runtime::Runtime::build(cfg, threads(), *sticks_);
  if (!rt) return std::unexpected(rt.error());
  g->runtime = std::move(*rt);
  g->checker = std::make_unique<health::Checker>(*g->runtime);
  g->loaded_unix_ms = unix_ms(std::chrono::system_clock::now());
  if (wire_)
    if (auto r = wire_(*g); !r) return std::unexpected(r.error());
  return g;
}

Result<std::unique_ptr<Balancer>> Balancer::create(const config::Config& cfg, unsigned threads,
                                                   stick::StickRegistry& sticks, Wire wire) {
  std::unique_ptr<Balancer> b(new Balancer());
  b->sticks_ = &sticks;
  b->wire_ = std::move(wire);
  for (unsigned i = 0; i < threads; ++i) b->workers_.push_back(std::make_unique<Worker>(i, cfg.global.bufsize));
  auto g = b->build(cfg);
  if (!g) return std::unexpected(g.error());
  (*g)->number = ++b->generations_;
  b->current_ = *g;
  b->listeners_ = b->plan_listeners(**g);
  return b;
}

Balancer::~Balancer() {
  stop();
  for (auto& l : listeners_) close_fds(l->fds);
}

std::shared_ptr<Generation> Balancer::current() const {
  std::lock_guard lock(current_mutex_);
  return current_;
}

// Every bind line of every frontend of `g`, as listeners not yet opened.
std::vector<std::unique_ptr<Balancer::Listener>> Balancer::plan_listeners(Generation& g) {
  std::vector<std::unique_ptr<Listener>> out;
  for (const auto& fe : g.runtime->frontends()) {
    for (std::size_t i = 0; i < fe->config().binds.size(); ++i) {
      auto l = std::make_unique<Listener>();
      l->bind = fe->config().binds[i];
      l->identity = net::listener_identity(l->bind);
      l->frontend = fe->name();
      l->bind_index = i;
      const config::Proxy& c = fe->config();
      l->backlog = static_cast<int>(c.backlog ? c.backlog : std::max<std::uint32_t>(1024, c.maxconn));
      out.push_back(std::move(l));
    }
  }
  return out;
}

void Balancer::adopt(std::vector<net::PassedSocket> sockets) { adopted_ = std::move(sockets); }

// One socket per worker for `l` (or duplicates of fd@N); none on error. A
// socket handed over by the old process (adopt) comes first: the same
// socket, the same queue, nothing lost in between.
Result<void> Balancer::open(Listener& l) {
  for (auto it = adopted_.begin(); it != adopted_.end() && l.fds.size() < workers_.size();) {
    if (it->identity != l.identity || l.bind.inherited_fd >= 0) {
      ++it;
      continue;
    }
    l.fds.push_back(it->fd);
    it = adopted_.erase(it);
  }
  if (!l.fds.empty()) {
    // Fewer handed over than workers here: the others share them (one queue).
    for (std::size_t i = l.fds.size(), n = l.fds.size(); i < workers_.size(); ++i) {
      int d = ::fcntl(l.fds[i % n], F_DUPFD_CLOEXEC, 0);
      if (d < 0) {
        close_fds(l.fds);
        return fail(cat(l.bind.origin.where(), ": bind ", l.bind.text(), ": dup: ", std::strerror(errno)));
      }
      l.fds.push_back(d);
    }
    return {};
  }
  for (size_t i = 0; i < workers_.size(); ++i) {
    auto fd = l.bind.inherited_fd >= 0 ? net::dup_inherited_listener(l.bind) : net::open_listen_socket(l.bind, l.backlog);
    if (!fd) {
      close_fds(l.fds);
      return std::unexpected(fd.error());
    }
    l.fds.push_back(*fd);
  }
  return {};
}

Result<void> Balancer::bind() {
  for (auto& l : listeners_)
    if (auto r = open(*l); !r) return r;
  // Handed over but no longer configured: the old process still has them
  // and closes them when it stops.
  for (auto& a : adopted_) ::close(a.fd);
  adopted_.clear();
  return {};
}

std::vector<net::PassedSocket> Balancer::listening_sockets() const {
  std::lock_guard lock(listeners_mutex_);
  std::vector<net::PassedSocket> out;
  for (const auto& l : listeners_)
    for (int fd : l->live_fds) out.push_back({l->identity, fd});
  return out;
}

void Balancer::start() {
  Generation& g = *current_;
  {
    std::lock_guard lock(listeners_mutex_);
    for (auto& l : listeners_) {
      for (size_t i = 0; i < workers_.size(); ++i) {
        l->slots.push_back(start_slot(*workers_[i], l->bind, l->fds[i], target_of(g, l->frontend, l->bind_index)));
        if (l->slots.back()) l->live_fds.push_back(l->fds[i]);
      }
      l->fds.clear();  // the acceptors own them now
    }
  }
  for (auto& w : workers_) w->start();
  g.checker->start();
  started_ = true;
}

Result<Balancer::ReloadReport> Balancer::reload(const config::Config& cfg_in) {
  // A soft stop closed the listeners for good (a new process has them): a
  // reload must not open them again here.
  if (stopping_) return fail("stopping softly (SIGUSR1): a reload would open listeners a new process now serves");
  std::shared_ptr<Generation> old = current();
  const config::Global& running = old->runtime->global();
  ReloadReport report;
  config::Config cfg = cfg_in;
  // What a running process cannot change: its threads and their buffers, its
  // identity and privileges. Kept, with a warning, rather than refused: the
  // rest of the file still applies.
  auto keep = [&](bool differs, std::string_view what) {
    if (differs) report.warnings.push_back(cat(what, " changed: it takes effect at the next restart, not on reload"));
  };
  unsigned want_threads = cfg.global.nbthread ? cfg.global.nbthread : threads();
  keep(want_threads != threads(), "nbthread");
  keep(cfg.global.bufsize != running.bufsize, "tune.bufsize");
  cfg.global.bufsize = running.bufsize;
  keep(cfg.global.user != running.user || cfg.global.group != running.group, "user/group");
  keep(cfg.global.chroot != running.chroot, "chroot");
  keep(cfg.global.ulimit_n != running.ulimit_n, "ulimit-n");
  keep(cfg.global.pidfile != running.pidfile, "pidfile");
  keep(cfg.global.daemon != running.daemon, "daemon");
  bool sockets_differ = cfg.global.stats_sockets.size() != running.stats_sockets.size();
  for (std::size_t i = 0; !sockets_differ && i < cfg.global.stats_sockets.size(); ++i)
    sockets_differ = cfg.global.stats_sockets[i].path != running.stats_sockets[i].path;
  keep(sockets_differ, "stats socket");

  // 1. Check the whole configuration first with throw-away tables, as -c
  // does: a file that cannot load must not touch the live tables.
  {
    stick::StickRegistry scratch({.node = "check", .instance_id = "check", .log_capacity = 1024});
    auto probe = runtime::Runtime::build(cfg, threads(), scratch);
    if (!probe) return std::unexpected(probe.error());
    if (auto lf = logging::check_log_formats(**probe); !lf) return std::unexpected(lf.error());
  }
  // 2. Build it for real (tables of unchanged definition are the live ones).
  auto built = build(cfg);
  if (!built) {
    sticks_->retain(old->runtime->table_names());
    return std::unexpected(built.error());
  }
  std::shared_ptr<Generation> next = *built;
  for (const std::string& w : next->runtime->warnings()) report.warnings.push_back(w);

  // 3. Listeners: the same socket identity keeps its socket; new ones open
  // now, so that a port that cannot be bound fails the reload before
  // anything changed.
  std::vector<std::unique_ptr<Listener>> planned = plan_listeners(*next);
  std::vector<Listener*> kept_from(planned.size(), nullptr);
  std::unordered_set<Listener*> taken;
  for (std::size_t i = 0; i < planned.size(); ++i)
    for (auto& l : listeners_)
      if (!taken.contains(l.get()) && l->identity == planned[i]->identity) {
        kept_from[i] = l.get();
        taken.insert(l.get());
        break;
      }
  for (std::size_t i = 0; i < planned.size(); ++i) {
    if (kept_from[i]) continue;
    if (auto r = open(*planned[i]); !r) {
      for (auto& p : planned) close_fds(p->fds);
      sticks_->retain(old->runtime->table_names());
      return std::unexpected(r.error());
    }
  }

  // 4. What the old generation knew of its servers.
  runtime::CarryReport carried = runtime::carry_server_state(*old->runtime, *next->runtime);
  report.servers_matched = carried.matched;
  report.admin_states_kept = carried.admin;
  report.weights_kept = carried.weight;
  report.health_kept = next->checker->carry_from(*old->checker);

  // 5. Swap. From here nothing fails.
  next->number = ++generations_;
  report.generation = next->number;
  old->runtime->retire();
  for (std::size_t i = 0; i < planned.size(); ++i) {
    Listener& p = *planned[i];
    AcceptTarget t = target_of(*next, p.frontend, p.bind_index);
    if (Listener* k = kept_from[i]) {
      p.slots = std::move(k->slots);
      p.live_fds = std::move(k->live_fds);
      if (started_)
        for (size_t wi = 0; wi < workers_.size(); ++wi)
          if (auto slot = p.slots[wi]) asio::post(workers_[wi]->io(), [slot, t] { slot->target = t; });
      ++report.listeners_kept;
    } else {
      if (started_) {
        for (size_t wi = 0; wi < workers_.size(); ++wi) {
          p.slots.push_back(start_slot(*workers_[wi], p.bind, p.fds[wi], t));
          if (p.slots.back()) p.live_fds.push_back(p.fds[wi]);
        }
        p.fds.clear();
      }
      ++report.listeners_opened;
    }
  }
  // Removed listeners stop accepting; their connections go on.
  for (auto& l : listeners_) {
    if (taken.contains(l.get())) continue;
    ++report.listeners_closed;
    close_fds(l->fds);
    for (size_t wi = 0; wi < l->slots.size(); ++wi)
      if (auto slot = l->slots[wi])
        asio::post(workers_[wi]->io(), [slot] {
          asio::error_code ec;
          slot->acceptor.close(ec);
        });
  }
  {
    std::lock_guard lock(listeners_mutex_);
    listeners_ = std::move(planned);
  }
  {
    std::lock_guard lock(current_mutex_);
    current_ = next;
  }
  sticks_->retain(next->runtime->table_names());
  // One set of checks at a time: the old generation's servers keep the
  // state they had while their last connections finish.
  old->checker->stop();
  if (started_) next->checker->start();

  auto r = std::make_unique<Retired>();
  r->gen = std::move(old);
  if (auto hsa = next->runtime->global().hard_stop_after) r->hard_stop_at = std::chrono::steady_clock::now() + *hsa;
  retired_.push_back(std::move(r));
  return report;
}

void Balancer::maintain() {
  auto now = std::chrono::steady_clock::now();
  if (stopping_ && stop_deadline_ && now >= *stop_deadline_ && !stop_hard_) {
    stop_hard_ = true;
    std::shared_ptr<Generation> g = current();
    log::warning("hard-stop-after: closing the ", g->runtime->sessions().current(), " connection(s) still open");
    for (auto& w : workers_) {
      Worker* wp = w.get();
      const runtime::Runtime* rt = g->runtime.get();
      asio::post(w->io(), [wp, rt] { wp->sessions().hard_stop(rt); });
    }
  }
  for (auto it = retired_.begin(); it != retired_.end();) {
    Retired& r = **it;
    runtime::Runtime* rt = r.gen->runtime.get();
    if (r.drained && r.drained->load() == workers_.size()) {
      log::notice("configuration ", r.gen->number, " released: its last connection ended");
      it = retired_.erase(it);  // the generation is destroyed here, on the control thread
      continue;
    }
    if (!r.drained && rt->sessions().current() == 0 && r.gen.use_count() == 1) {
      // No session is left and none can start (no listener targets it). The
      // workers still hold idle connections to its servers, keyed by their
      // addresses: drop them, then let the generation go.
      r.drained = std::make_shared<std::atomic<unsigned>>(0);
      std::vector<const runtime::Server*> servers;
      for (const auto& be : rt->backends())
        for (const auto& s : be->servers()) servers.push_back(s.get());
      for (auto& w : workers_) {
        if (!started_) {
          r.drained->fetch_add(1);
          continue;
        }
        Worker* wp = w.get();
        asio::post(w->io(), [wp, servers, d = r.drained] {
          wp->pool().drop(servers);
          d->fetch_add(1);
        });
      }
    } else if (!r.drained && r.hard_stop_at && now >= *r.hard_stop_at && !r.hard_stopped) {
      r.hard_stopped = true;
      log::warning("hard-stop-after: closing the ", rt->sessions().current(), " connection(s) configuration ",
                   r.gen->number, " still serves");
      for (auto& w : workers_) {
        Worker* wp = w.get();
        asio::post(w->io(), [wp, rt] { wp->sessions().hard_stop(rt); });
      }
    }
    ++it;
  }
}

void Balancer::soft_stop() {
  if (stopping_) return;
  stopping_ = true;
  std::shared_ptr<Generation> g = current();
  if (auto hsa = g->runtime->global().hard_stop_after) stop_deadline_ = std::chrono::steady_clock::now() + *hsa;
  g->runtime->retire();
  std::vector<std::unique_ptr<Listener>> closing;
  {
    std::lock_guard lock(listeners_mutex_);
    closing = std::move(listeners_);
    listeners_.clear();
  }
  // The sockets may live on in a new process (-x): closing ours only stops
  // this process from accepting.
  // finished() waits for every close to have run: until then a worker may
  // still accept a connection, which must not be cut by the exit.
  // The notice is logged by the last close: once it is written, a new
  // connection is refused (a check right after it must not race the posts).
  const char* tail = stop_deadline_ ? " (hard-stop-after set)" : "";
  auto say = [g, tail] {
    log::notice("soft stop: no longer accepting; ", g->runtime->sessions().current(), " connection(s) to finish", tail);
  };
  std::size_t slots = 0;
  for (auto& l : closing)
    for (auto& slot : l->slots) slots += slot ? 1 : 0;
  unclosed_ = std::make_shared<std::atomic<std::size_t>>(slots);
  if (slots == 0) say();
  for (auto& l : closing) {
    close_fds(l->fds);
    for (size_t wi = 0; wi < l->slots.size(); ++wi)
      if (auto slot = l->slots[wi]) {
        asio::post(workers_[wi]->io(), [slot, pending = unclosed_, say] {
          asio::error_code ec;
          slot->acceptor.close(ec);
          if (pending->fetch_sub(1) == 1) say();
        });
      }
  }
}

bool Balancer::finished() const {
  if (!stopping_ || (unclosed_ && unclosed_->load() != 0)) return false;
  std::uint64_t left = current()->runtime->sessions().current();
  for (const auto& r : retired_) left += r->gen->runtime->sessions().current();
  return left == 0;
}

void Balancer::stop() {
  if (current_ && current_->checker) current_->checker->stop();
  for (auto& w : workers_) w->stop();
  for (auto& w : workers_) w->join();
  // The workers are stopped: nothing runs on their io_contexts. Closed now,
  // an acceptor needs nothing from its io_context when the accept loop's
  // frame (which holds it) is destroyed with that io_context.
  {
    std::lock_guard lock(listeners_mutex_);
    for (auto& l : listeners_) {
      for (auto& slot : l->slots) {
        asio::error_code ec;
        if (slot) slot->acceptor.close(ec);
      }
      l->slots.clear();
      l->live_fds.clear();
    }
  }
  // Sessions still pending go with the workers; they touch their runtimes
  // on the way, so old generations go after them.
  workers_.clear();
  retired_.clear();
}

}  // namespace tandem::balancer::proxy
