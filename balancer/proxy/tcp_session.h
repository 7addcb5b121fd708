#pragma once
// Serving one client connection in TCP mode: pick a server (with retries and
// redispatch), connect, and forward both ways until both sides have closed.
// On a `bind ... ssl` listener TLS is terminated first (SSL offload), and
// a server with `ssl` is spoken to over TLS.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include "balancer/proxy/sockets.h"
#include "balancer/proxy/worker.h"
#include "balancer/runtime/runtime.h"

namespace tandem::balancer::tls {
class BindContext;
}

namespace tandem::balancer::proxy {

// `ends`: the connection's addresses, as the accept loop learned them.
asio::awaitable<void> serve_tcp(Worker& w, runtime::Runtime& rt, runtime::Frontend& fe, asio::ip::tcp::socket client,
                                ClientEnds ends, const tls::BindContext* tls = nullptr);

}  // namespace tandem::balancer::proxy
