#include "balancer/proxy/balancer.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include "balancer/net/listen_socket.h"
#include "balancer/proxy/http_session.h"
#include "balancer/proxy/io.h"
#include "balancer/proxy/tcp_session.h"
#include "common/log.h"
#include "common/strings.h"

namespace tandem::balancer::proxy {

using asio::ip::tcp;

struct Balancer::Listener {
  config::Bind bind;
  runtime::Frontend* frontend = nullptr;
  const tls::BindContext* tls = nullptr;  // a `bind ... ssl` listener's
  std::vector<int> fds;  // one per worker (SO_REUSEPORT), or duplicates of fd@N
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
};

Result<std::unique_ptr<Balancer>> Balancer::create(const config::Config& cfg, unsigned threads,
                                                   stick::StickRegistry& sticks) {
  std::unique_ptr<Balancer> b(new Balancer());
  auto rt = runtime::Runtime::build(cfg, threads, sticks);
  if (!rt) return std::unexpected(rt.error());
  b->runtime_ = std::move(*rt);
  b->checker_ = std::make_unique<health::Checker>(*b->runtime_);
  for (unsigned i = 0; i < threads; ++i) b->workers_.push_back(std::make_unique<Worker>(i, cfg.global.bufsize));
  for (const auto& fe : b->runtime_->frontends()) {
    for (std::size_t i = 0; i < fe->config().binds.size(); ++i) {
      auto l = std::make_unique<Listener>();
      l->bind = fe->config().binds[i];
      l->frontend = fe.get();
      l->tls = fe->bind_tls(i);
      b->listeners_.push_back(std::move(l));
    }
  }
  return b;
}

Balancer::~Balancer() {
  stop();
  for (auto& l : listeners_)
    for (int fd : l->fds)
      if (fd >= 0) ::close(fd);
}

Result<void> Balancer::bind() {
  for (auto& l : listeners_) {
    int backlog = static_cast<int>(l->frontend->config().backlog ? l->frontend->config().backlog
                                                                  : std::max<std::uint32_t>(1024, l->frontend->config().maxconn));
    for (size_t i = 0; i < workers_.size(); ++i) {
      auto fd = l->bind.inherited_fd >= 0 ? net::dup_inherited_listener(l->bind) : net::open_listen_socket(l->bind, backlog);
      if (!fd) return std::unexpected(fd.error());
      l->fds.push_back(*fd);
    }
  }
  return {};
}

namespace {

// Accepts on one listener for one worker. When the global or the frontend's
// maxconn is reached, it stops accepting (connections wait in the kernel's
// backlog, as with HAProxy) and looks again every few milliseconds.
asio::awaitable<void> accept_loop(Worker& w, tcp::acceptor& acceptor, runtime::Runtime& rt, runtime::Frontend& fe,
                                  const tls::BindContext* tls) {
  asio::steady_timer pause(w.io());
  const std::uint32_t fe_max = fe.config().maxconn;
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
    if (!rt.sessions().try_enter(rt.maxconn())) {
      pause.expires_after(std::chrono::milliseconds(5));
      (void)co_await pause.async_wait(use_nothrow);
      if (!acceptor.is_open()) co_return;
      continue;
    }
    if (!fe.sessions().try_enter(fe_max)) {
      rt.sessions().leave();
      pause.expires_after(std::chrono::milliseconds(5));
      (void)co_await pause.async_wait(use_nothrow);
      if (!acceptor.is_open()) co_return;
      continue;
    }
    asio::error_code ec;
    tcp::socket sock = acceptor.accept(w.io(), ec);
    if (ec) {
      fe.sessions().leave();
      rt.sessions().leave();
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        // Nothing waiting: wait without a slot, then take one again.
        auto [wait_ec] = co_await acceptor.async_wait(tcp::acceptor::wait_read, use_nothrow);
        if (wait_ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;
      }
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // EMFILE/ENFILE and friends: back off instead of spinning.
      log::warning(fe.name(), ": accept: ", ec.message());
      pause.expires_after(std::chrono::milliseconds(100));
      (void)co_await pause.async_wait(use_nothrow);
      continue;
    }
    fe.counters().add(w.index(), runtime::Ctr::sessions_total);
    if (fe.mode() == config::Mode::http)
      asio::co_spawn(w.io(), serve_http(w, rt, fe, std::move(sock), tls), asio::detached);
    else
      asio::co_spawn(w.io(), serve_tcp(w, rt, fe, std::move(sock), tls), asio::detached);
  }
}

}  // namespace

void Balancer::start_accepting(Worker& w, Listener& l, int fd) {
  asio::error_code ec;
  auto acc = std::make_unique<tcp::acceptor>(w.io());
  // The family comes from the socket itself: an inherited fd@N may be either.
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  acc->assign(ss.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
  if (ec) {
    log::alert(l.bind.origin.where(), ": bind ", l.bind.text(), ": ", ec.message());
    return;
  }
  asio::co_spawn(w.io(), accept_loop(w, *acc, *runtime_, *l.frontend, l.tls), asio::detached);
  l.acceptors.push_back(std::move(acc));
}

void Balancer::start() {
  for (auto& l : listeners_)
    for (size_t i = 0; i < workers_.size(); ++i) {
      start_accepting(*workers_[i], *l, l->fds[i]);
      l->fds[i] = -1;  // the acceptor owns it now
    }
  for (auto& w : workers_) w->start();
  checker_->start();
}

void Balancer::stop() {
  if (checker_) checker_->stop();
  for (auto& w : workers_) w->stop();
  for (auto& w : workers_) w->join();
  for (auto& l : listeners_) l->acceptors.clear();
  workers_.clear();
}

}  // namespace tandem::balancer::proxy
