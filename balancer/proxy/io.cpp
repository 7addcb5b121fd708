#include "balancer/proxy/io.h"

#include <asio/read.hpp>
#include <asio/write.hpp>

#include "balancer/proxy/worker.h"

namespace tandem::balancer::proxy {

void Side::expire(void* p) {
  auto* s = static_cast<Side*>(p);
  s->timed_out = true;
  if (s->socket) {
    asio::error_code ec;
    s->socket->cancel(ec);
  }
}

namespace {
struct Armed {
  Armed(Worker& w, Side& s, Millis t) : side(s) {
    s.timed_out = false;
    if (t.count() > 0) w.arm(s.deadline, t);
  }
  ~Armed() { side.deadline.disarm(); }
  Side& side;
};
}  // namespace

asio::awaitable<IoResult> read_some(Worker& w, Side& side, asio::mutable_buffer buf, Millis timeout) {
  Armed armed(w, side, timeout);
  auto [ec, n] = co_await side.socket->async_read_some(buf, use_nothrow);
  co_return IoResult{ec, n, side.timed_out};
}

asio::awaitable<IoResult> write_all(Worker& w, Side& side, asio::const_buffer a, asio::const_buffer b, Millis timeout) {
  Armed armed(w, side, timeout);
  std::array<asio::const_buffer, 2> bufs{a, b};
  auto [ec, n] = co_await asio::async_write(*side.socket, bufs, use_nothrow);
  co_return IoResult{ec, n, side.timed_out};
}

asio::awaitable<IoResult> wait_readable(Worker& w, Side& side, Millis timeout) {
  Armed armed(w, side, timeout);
  auto [ec] = co_await side.socket->async_wait(asio::ip::tcp::socket::wait_read, use_nothrow);
  co_return IoResult{ec, 0, side.timed_out};
}

}  // namespace tandem::balancer::proxy
