#include "balancer/proxy/conn_pool.h"

#include <sys/socket.h>

#include "balancer/tls/tls_conn.h"

namespace tandem::balancer::proxy {

ServerConn::ServerConn(asio::ip::tcp::socket s) : socket(std::move(s)) {}
ServerConn::~ServerConn() = default;

void ServerConn::close_idle() {
  if (!socket.is_open()) return;
  if (tls) {
    // A TLS server gets its close_notify; a reset right behind it could
    // discard it, so these close normally.
    tls->close_quietly();
  } else {
    linger l{1, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  asio::error_code ec;
  socket.close(ec);
}

namespace {
// An idle connection the server closed shows as readable with 0 bytes (or an
// error). A peek costs one syscall, so only connections idle for a while are
// checked: a server seldom closes one it used a moment ago, and a request that
// meets a just-closed connection is retried on a fresh one anyway.
bool still_open(ServerConn& c, std::chrono::steady_clock::time_point now) {
  if (now - c.idle_since < std::chrono::milliseconds(200)) return true;
  char b;
  ssize_t n = ::recv(c.socket.native_handle(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}
}  // namespace

std::unique_ptr<ServerConn> ConnPool::take(runtime::Server* server, std::chrono::steady_clock::time_point now) {
  auto it = idle_.find(server);
  if (it == idle_.end()) return nullptr;
  auto& v = it->second;
  while (!v.empty()) {
    std::unique_ptr<ServerConn> c = std::move(v.back());
    v.pop_back();
    if (now - c->idle_since <= kMaxIdle && still_open(*c, now)) return c;
    c->close_idle();
  }
  return nullptr;
}

void ConnPool::give(std::unique_ptr<ServerConn> c, std::chrono::steady_clock::time_point now) {
  auto& v = idle_[c->server];
  if (v.size() >= kMaxPerServer) {
    c->close_idle();
    return;
  }
  c->idle_since = now;
  v.push_back(std::move(c));
}

void ConnPool::purge(std::chrono::steady_clock::time_point now) {
  for (auto& [server, v] : idle_) {
    // Oldest first: the vector is in the order connections were given back.
    size_t keep_from = 0;
    while (keep_from < v.size() && now - v[keep_from]->idle_since > kMaxIdle) v[keep_from++]->close_idle();
    v.erase(v.begin(), v.begin() + static_cast<long>(keep_from));
  }
}

void ConnPool::clear() { idle_.clear(); }

std::size_t ConnPool::size() const {
  std::size_t n = 0;
  for (const auto& [s, v] : idle_) n += v.size();
  return n;
}

void ConnPool::drop(const std::vector<const runtime::Server*>& servers) {
  for (const runtime::Server* s : servers) idle_.erase(const_cast<runtime::Server*>(s));
}

}  // namespace tandem::balancer::proxy
