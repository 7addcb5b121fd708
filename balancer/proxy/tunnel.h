#pragma once
// Two-way forwarding between a client and a server: TCP mode, and HTTP after
// a 101 (websocket). Each direction copies until its reader sees EOF, then
// half-closes its writer (shutdown SHUT_WR) and the other direction goes on:
// a half-closed connection still carries the answer.
//
// Timeouts: the tunnel ends when neither direction has moved for `idle`
// (`timeout tunnel`, else the shorter of client and server); once one side
// has closed, `client_fin`/`server_fin` apply instead when set.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>

#include "balancer/net/buffer_pool.h"
#include "balancer/proxy/io.h"

namespace tandem::balancer::tls {
class TlsConn;
}

namespace tandem::balancer::proxy {

struct TunnelTimeouts {
  Millis idle{0};        // 0: none
  Millis client_fin{0};  // after the client closed its side
  Millis server_fin{0};  // after the server closed its side
};

struct TunnelResult {
  std::uint64_t client_to_server = 0;
  std::uint64_t server_to_client = 0;
  bool timed_out = false;
  bool client_error = false;  // reset or failed write on the client side
  bool server_error = false;
};

// `client_tls` / `server_tls`: the sides' TLS, when they have it.
// `pending_c2s` / `pending_s2c` hold bytes already read that must go first
// (e.g. data after a 101 head); they are released when the tunnel ends.
asio::awaitable<TunnelResult> run_tunnel(Worker& w, asio::ip::tcp::socket& client, asio::ip::tcp::socket& server,
                                         net::IoBuffer& pending_c2s, net::IoBuffer& pending_s2c, TunnelTimeouts t,
                                         tls::TlsConn* client_tls = nullptr, tls::TlsConn* server_tls = nullptr);

}  // namespace tandem::balancer::proxy
