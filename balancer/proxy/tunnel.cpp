#include "balancer/proxy/tunnel.h"
#include "balancer/proxy/worker.h"

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <optional>
#include <sys/socket.h>

#include "balancer/tls/tls_conn.h"

namespace tandem::balancer::proxy {

namespace {

using asio::ip::tcp;
using IoPair = std::pair<asio::error_code, std::size_t>;

// One read or write of a tunnel direction, through TLS when the side has it.
asio::awaitable<IoPair> tls_io(tcp::socket& sock, tls::TlsConn* tls, void* rbuf, const void* wbuf, std::size_t len) {
  for (;;) {
    tls::Op op = rbuf ? tls->read(rbuf, len) : tls->write(wbuf, len);
    if (op.step == tls::Step::done) co_return IoPair{{}, rbuf ? op.n : len};
    if (op.step == tls::Step::closed) co_return IoPair{asio::error::eof, 0};
    if (op.step == tls::Step::failed) co_return IoPair{asio::error::connection_reset, 0};
    auto what = op.step == tls::Step::want_write ? tcp::socket::wait_write : tcp::socket::wait_read;
    auto [ec] = co_await sock.async_wait(what, use_nothrow);
    if (ec) co_return IoPair{ec, 0};
  }
}

asio::awaitable<IoPair> read_from(tcp::socket& s, tls::TlsConn* t, asio::mutable_buffer b) {
  if (t) co_return co_await tls_io(s, t, b.data(), nullptr, b.size());
  auto [ec, n] = co_await s.async_read_some(b, use_nothrow);
  co_return IoPair{ec, n};
}

// Plain sockets are written at once when they have room (see send_now);
// only the rest waits.
asio::awaitable<IoPair> write_to(tcp::socket& s, tls::TlsConn* t, asio::const_buffer b) {
  if (t) co_return co_await tls_io(s, t, nullptr, b.data(), b.size());
  std::size_t sent = 0;
  long n = send_now(s.native_handle(), b);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    co_return IoPair{asio::error_code(errno, asio::error::get_system_category()), 0};
  if (n > 0) sent = static_cast<std::size_t>(n);
  if (sent == b.size()) co_return IoPair{{}, sent};
  auto [ec, m] = co_await asio::async_write(s, b + sent, use_nothrow);
  co_return IoPair{ec, sent + m};
}

// A read that filled the whole buffer suggests more is waiting: the next one
// is tried at once, without a trip through the reactor (bulk transfers then
// cost a recv and a send per buffer, as in HAProxy). Interactive traffic,
// whose reads come short, goes straight to the asynchronous read, which
// tries the socket first itself. nullopt: nothing there yet.
std::optional<IoPair> read_now(tcp::socket& s, asio::mutable_buffer b) {
  for (;;) {
    ssize_t n = ::recv(s.native_handle(), b.data(), b.size(), MSG_DONTWAIT);
    if (n > 0) return IoPair{{}, static_cast<std::size_t>(n)};
    if (n == 0) return IoPair{asio::error::eof, 0};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
    return IoPair{asio::error_code(errno, asio::error::get_system_category()), 0};
  }
}

constexpr unsigned kReadsAtOnce = 8;

class Tunnel {
 public:
  Tunnel(Worker& w, tcp::socket& c, tcp::socket& s, TunnelTimeouts t, tls::TlsConn* ct, tls::TlsConn* st)
      : w_(w), client_(c), server_(s), client_tls_(ct), server_tls_(st), t_(t) {}

  asio::awaitable<TunnelResult> run(net::IoBuffer& c2s, net::IoBuffer& s2c) {
    using namespace asio::experimental::awaitable_operators;
    touch();
    current_limit_ = t_.idle;
    if (current_limit_.count() > 0) w_.arm(deadline_, current_limit_);
    co_await (pump(client_, server_, c2s, true) && pump(server_, client_, s2c, false));
    deadline_.disarm();
    co_return result_;
  }

 private:
  void touch() { last_activity_ = Worker::now(); }

  static void expire(void* p) {
    auto* t = static_cast<Tunnel*>(p);
    auto idle_for = Worker::now() - t->last_activity_;
    if (idle_for < t->current_limit_) {
      // Something moved since the deadline was armed: sleep for the rest.
      t->w_.arm(t->deadline_, std::chrono::duration_cast<Millis>(t->current_limit_ - idle_for) + Millis(1));
      return;
    }
    t->result_.timed_out = true;
    asio::error_code ec;
    t->client_.cancel(ec);
    t->server_.cancel(ec);
  }

  // One side closed: the remaining direction gets the fin timeout if set.
  void on_half_close(bool client_closed) {
    Millis fin = client_closed ? t_.client_fin : t_.server_fin;
    if (fin.count() > 0 && (current_limit_.count() == 0 || fin < current_limit_)) {
      current_limit_ = fin;
      w_.arm(deadline_, fin);
    }
  }

  asio::awaitable<void> pump(tcp::socket& from, tcp::socket& to, net::IoBuffer& buf, bool from_client) {
    std::uint64_t& count = from_client ? result_.client_to_server : result_.server_to_client;
    tls::TlsConn* from_tls = from_client ? client_tls_ : server_tls_;
    buf.ensure(w_.buffers());
    bool filled = false;  // the last read filled the buffer
    unsigned at_once = 0;  // reads in a row done without waiting
    for (;;) {
      if (!buf.empty()) {
        auto [ec, n] = co_await write_to(to, from_client ? server_tls_ : client_tls_, asio::buffer(buf.data(), buf.size()));
        if (ec) {
          if (ec != asio::error::operation_aborted) (from_client ? result_.server_error : result_.client_error) = true;
          break;
        }
        count += n;
        buf.consume(n);
        touch();
      }
      asio::mutable_buffer space = asio::buffer(buf.space(), buf.space_size());
      std::optional<IoPair> now;
      // Every few buffers the asynchronous read runs anyway: its completion
      // is posted, so a transfer that never waits cannot starve the
      // worker's other connections.
      if (filled && !from_tls && ++at_once < kReadsAtOnce) now = read_now(from, space);
      else at_once = 0;
      auto [ec, n] = now ? *now : co_await read_from(from, from_tls, space);
      filled = !ec && n == space.size();
      if (ec) {
        if (ec == asio::error::eof) {
          asio::error_code ignored;
          if (tls::TlsConn* t = from_client ? server_tls_ : client_tls_) t->close_quietly();
          to.shutdown(tcp::socket::shutdown_send, ignored);
          on_half_close(from_client);
        } else {
          if (ec != asio::error::operation_aborted) (from_client ? result_.client_error : result_.server_error) = true;
          // The other direction cannot finish either: a reset means the
          // whole exchange is over.
          asio::error_code ignored;
          to.cancel(ignored);
          from.cancel(ignored);
        }
        break;
      }
      buf.commit(n);
      touch();
    }
    buf.release();
  }

  Worker& w_;
  tcp::socket& client_;
  tcp::socket& server_;
  tls::TlsConn* client_tls_;
  tls::TlsConn* server_tls_;
  TunnelTimeouts t_;
  TunnelResult result_;
  net::SteadyTime last_activity_{};
  Millis current_limit_{0};
  net::Deadline deadline_{&Tunnel::expire, this};
};

}  // namespace

asio::awaitable<TunnelResult> run_tunnel(Worker& w, tcp::socket& client, tcp::socket& server, net::IoBuffer& pending_c2s,
                                         net::IoBuffer& pending_s2c, TunnelTimeouts t, tls::TlsConn* client_tls,
                                         tls::TlsConn* server_tls) {
  Tunnel tunnel(w, client, server, t, client_tls, server_tls);
  co_return co_await tunnel.run(pending_c2s, pending_s2c);
}

}  // namespace tandem::balancer::proxy
