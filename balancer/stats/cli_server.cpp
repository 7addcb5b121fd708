#include "balancer/stats/cli_server.h"

#include <asio/experimental/as_tuple.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "balancer/stats/cli.h"
#include "common/log.h"
#include "common/unix_socket.h"
#include "common/strings.h"

namespace tandem::balancer::stats {

namespace {

using asio::local::stream_protocol;
constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

struct Socket {
  config::StatsSocket cfg;
  FileStamp stamp;  // the socket file we made (a new process may replace it)
  CliLevel level = CliLevel::operator_;
  std::unique_ptr<stream_protocol::acceptor> acceptor;
};

// Lines longer than this are refused (HAProxy's CLI buffer is as small).
constexpr std::size_t kMaxLine = 16384;

asio::awaitable<void> serve(stream_protocol::socket sock, const StatsProvider& src, const Socket& where,
                            const CliServer::SocketSource& sockets, std::chrono::milliseconds idle) {
  const CliLevel level = where.level;
  CliSession session(src, level);
  std::string buf;
  asio::steady_timer timer(sock.get_executor());
  for (;;) {
    // Each read has a deadline (`stats timeout`): a silent client is closed.
    timer.expires_after(idle);
    timer.async_wait([&sock](const asio::error_code& ec) {
      if (!ec) {
        asio::error_code ignored;
        sock.cancel(ignored);
      }
    });
    auto [ec, n] = co_await asio::async_read_until(sock, asio::dynamic_buffer(buf, kMaxLine), '\n', use_nothrow);
    timer.cancel();
    if (ec && !(ec == asio::error::eof && !buf.empty())) co_return;
    size_t len = ec ? buf.size() : n;
    std::string line = buf.substr(0, len);
    buf.erase(0, len);
    std::string_view command = line;
    while (!command.empty() && (command.back() == '\n' || command.back() == '\r')) command.remove_suffix(1);
    if (command == "_getsocks") {
      // The listeners, to a new process taking over (balancer -x): only on a
      // socket that exposes them, and to an admin.
      std::string refused;
      if (!where.cfg.expose_fd) refused = "_getsocks: this socket has no 'expose-fd listeners'\n\n";
      else if (level != CliLevel::admin) refused = "Permission denied\n\n";
      else if (!sockets) refused = "_getsocks: no listener to hand over\n\n";
      if (!refused.empty()) {
        (void)co_await asio::async_write(sock, asio::buffer(refused), use_nothrow);
        break;
      }
      asio::error_code nb;
      sock.native_non_blocking(false, nb);  // a few short messages: blocking sends are fine here
      if (auto r = net::send_sockets(sock.native_handle(), sockets()); !r) log::warning("stats socket: ", r.error().message);
      break;
    }
    bool close = false;
    std::string out = session.feed(line, close);
    auto [wec, wn] = co_await asio::async_write(sock, asio::buffer(out), use_nothrow);
    (void)wn;
    if (wec || close || ec) break;
  }
  asio::error_code ignored;
  sock.shutdown(stream_protocol::socket::shutdown_both, ignored);
}

asio::awaitable<void> accept_loop(Socket& s, const StatsProvider& src, const CliServer::SocketSource& sockets,
                                  std::chrono::milliseconds idle) {
  for (;;) {
    auto [ec, sock] = co_await s.acceptor->async_accept(use_nothrow);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) continue;
    asio::co_spawn(s.acceptor->get_executor(), serve(std::move(sock), src, s, sockets, idle), asio::detached);
  }
}

}  // namespace

struct CliServer::Impl {
  asio::io_context io{1};
  StatsProvider src;
  CliServer::SocketSource handover;
  std::chrono::milliseconds idle{10000};
  std::vector<std::unique_ptr<Socket>> sockets;
};

CliServer::CliServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CliServer::~CliServer() { stop(); }

Result<std::unique_ptr<CliServer>> CliServer::open(const config::Global& g, StatsProvider src) {
  auto impl = std::make_unique<Impl>();
  impl->src = std::move(src);
  impl->idle = g.stats_timeout;
  for (const config::StatsSocket& c : g.stats_sockets) {
    auto s = std::make_unique<Socket>();
    s->cfg = c;
    auto lvl = parse_cli_level(c.level);
    if (!lvl) return fail(cat(c.origin.where(), ": stats socket: unknown level '", c.level, "'"));
    s->level = *lvl;
    std::string where = cat(c.origin.where(), ": stats socket ", c.path);
    struct stat st{};
    if (::lstat(c.path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) return fail(cat(where, ": the path exists and is not a socket"));
      ::unlink(c.path.c_str());
    }
    s->acceptor = std::make_unique<stream_protocol::acceptor>(impl->io);
    asio::error_code ec;
    s->acceptor->open(stream_protocol(), ec);
    if (!ec) s->acceptor->bind(stream_protocol::endpoint(c.path), ec);
    if (!ec) s->acceptor->listen(64, ec);
    if (ec) return fail(cat(where, ": ", ec.message()));
    if (c.mode && ::chmod(c.path.c_str(), c.mode) != 0) return fail(cat(where, ": chmod: ", std::strerror(errno)));
    if (!c.user.empty() || !c.group.empty() || c.uid || c.gid) {
      uid_t uid = c.uid ? static_cast<uid_t>(*c.uid) : static_cast<uid_t>(-1);
      gid_t gid = c.gid ? static_cast<gid_t>(*c.gid) : static_cast<gid_t>(-1);
      if (!c.user.empty()) {
        passwd* pw = ::getpwnam(c.user.c_str());
        if (!pw) return fail(cat(where, ": user '", c.user, "' does not exist"));
        uid = pw->pw_uid;
      }
      if (!c.group.empty()) {
        group* gr = ::getgrnam(c.group.c_str());
        if (!gr) return fail(cat(where, ": group '", c.group, "' does not exist"));
        gid = gr->gr_gid;
      }
      if (::chown(c.path.c_str(), uid, gid) != 0) return fail(cat(where, ": chown: ", std::strerror(errno)));
    }
    s->stamp = stamp_of(c.path);
    impl->sockets.push_back(std::move(s));
  }
  return std::unique_ptr<CliServer>(new CliServer(std::move(impl)));
}

void CliServer::set_socket_source(SocketSource s) { impl_->handover = std::move(s); }

void CliServer::start() {
  if (impl_->sockets.empty()) return;
  for (auto& s : impl_->sockets)
    asio::co_spawn(impl_->io, accept_loop(*s, impl_->src, impl_->handover, impl_->idle), asio::detached);
  thread_ = std::thread([this] { impl_->io.run(); });
}

void CliServer::stop() {
  if (!impl_) return;
  asio::post(impl_->io, [this] {
    for (auto& s : impl_->sockets) {
      asio::error_code ec;
      s->acceptor->close(ec);
    }
  });
  impl_->io.stop();
  if (thread_.joinable()) thread_.join();
  for (auto& s : impl_->sockets) unlink_if_ours(s->cfg.path, s->stamp);
  impl_->sockets.clear();
}

}  // namespace tandem::balancer::stats
