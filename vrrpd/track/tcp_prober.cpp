#include "vrrpd/track/tcp_prober.h"

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <memory>

#include "common/strings.h"

namespace tandem::vrrpd::track {

namespace {

// One probe: connect, maybe send and read one byte, all under one deadline.
struct Attempt : std::enable_shared_from_this<Attempt> {
  Attempt(asio::io_context& io, std::string send, Prober::Done done)
      : sock(io), timer(io), send(std::move(send)), done(std::move(done)) {}

  void start(const asio::ip::tcp::endpoint& ep, config::Micros timeout) {
    auto self = shared_from_this();
    timer.expires_after(timeout);
    timer.async_wait([self](asio::error_code ec) {
      if (!ec) self->finish(false, "no answer within the probe timeout");
    });
    sock.async_connect(ep, [self](asio::error_code ec) {
      if (ec) return self->finish(false, cat("connect: ", ec.message()));
      if (self->send.empty()) return self->finish(true, "");
      asio::async_write(self->sock, asio::buffer(self->send), [self](asio::error_code ec, std::size_t) {
        if (ec) return self->finish(false, cat("send: ", ec.message()));
        self->sock.async_read_some(asio::buffer(&self->byte, 1), [self](asio::error_code ec, std::size_t n) {
          if (ec == asio::error::eof) return self->finish(false, "closed without answering");
          if (ec || n == 0) return self->finish(false, cat("read: ", ec.message()));
          self->finish(true, "");
        });
      });
    });
  }

  void finish(bool ok, const std::string& detail) {
    if (finished) return;
    finished = true;
    timer.cancel();
    asio::error_code ignored;
    sock.close(ignored);
    done(ok, detail);
  }

  asio::ip::tcp::socket sock;
  asio::steady_timer timer;
  std::string send;
  Prober::Done done;
  char byte = 0;
  bool finished = false;
};

}  // namespace

void TcpProber::probe(const HostPort& target, const std::string& send, config::Micros timeout, Done done) {
  asio::error_code ec;
  auto addr = asio::ip::make_address(target.host, ec);
  if (ec) {
    asio::post(io_, [done = std::move(done), target] { done(false, cat("bad address ", target.host)); });
    return;
  }
  auto a = std::make_shared<Attempt>(io_, send, std::move(done));
  a->start({addr, target.port}, timeout);
}

}  // namespace tandem::vrrpd::track
