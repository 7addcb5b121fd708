#pragma once
// Idle connections to servers, per worker, reused as HAProxy's
// `http-reuse safe` does: a client connection's first request always opens its
// own server connection; later requests may take an idle one.

#include <asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace tandem::balancer::runtime {
class Server;
}

namespace tandem::balancer::tls {
class TlsConn;
}

namespace tandem::balancer::proxy {

struct ServerConn {
  explicit ServerConn(asio::ip::tcp::socket s);
  ~ServerConn();
  ServerConn(const ServerConn&) = delete;
  ServerConn& operator=(const ServerConn&) = delete;
  // Closes an idle connection (a complete response read, nothing sent
  // since) with a reset instead of a FIN, as HAProxy does: neither side
  // keeps a TIME_WAIT or exchanges FINs for a connection nobody will use,
  // which costs both the balancer and the server a few microseconds per
  // connection. Only for connections with nothing in flight: a reset drops
  // unsent data.
  void close_idle();
  asio::ip::tcp::socket socket;
  runtime::Server* server = nullptr;
  std::chrono::steady_clock::time_point idle_since{};
  unsigned requests = 0;  // requests served on it
  // TLS to the server (`server ... ssl`), and the server name it was opened
  // with: a request needing another name does not reuse it.
  std::unique_ptr<tls::TlsConn> tls;
  std::string sni;
};

class ConnPool {
 public:
  // How long an idle connection is kept (HAProxy's pool-purge-delay), and how
  // many are kept per server on one worker.
  static constexpr std::chrono::seconds kMaxIdle{5};
  static constexpr std::size_t kMaxPerServer = 256;

  // The most recently used idle connection to `server` that is still open, if any.
  std::unique_ptr<ServerConn> take(runtime::Server* server, std::chrono::steady_clock::time_point now);
  // Keeps a connection after a response that left it reusable.
  void give(std::unique_ptr<ServerConn> c, std::chrono::steady_clock::time_point now);
  // Closes connections idle for longer than kMaxIdle.
  void purge(std::chrono::steady_clock::time_point now);
  // Closes everything (shutdown, or a server leaving).
  void clear();
  // Closes the idle connections to these servers (an old configuration's,
  // before its servers are freed: the pool is keyed by their addresses).
  void drop(const std::vector<const runtime::Server*>& servers);
  std::size_t size() const;

 private:
  std::unordered_map<runtime::Server*, std::vector<std::unique_ptr<ServerConn>>> idle_;
};

}  // namespace tandem::balancer::proxy
