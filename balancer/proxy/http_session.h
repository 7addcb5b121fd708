#pragma once
// Serving one client connection in HTTP mode: requests parsed strictly,
// routed to a backend, forwarded to a server with a pooled or new
// connection, responses streamed back; keep-alive on both sides, pipelining,
// Expect: 100-continue, and Upgrade turned into a tunnel after a 101.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include "balancer/proxy/sockets.h"
#include "balancer/proxy/worker.h"
#include "balancer/runtime/runtime.h"
#include "balancer/tls/tls_context.h"

namespace tandem::balancer::proxy {

// Starts serving the connection on `w`; it runs until the connection ends.
// The frontend's and the runtime's session gauges were entered by the caller
// and are left by the session.
// `client_fd`: the accepted socket (accept_now: non-blocking, never
// duplicated), taken over; the session registers it with the worker's
// reactor only if it must wait on it.
// `ends`: the connection's addresses, as the accept loop learned them.
// `tls`: the bind's TLS context when the listener terminates TLS.
void serve_http(Worker& w, runtime::Runtime& rt, runtime::Frontend& fe, int client_fd, const ClientEnds& ends,
                const tls::BindContext* tls = nullptr);

}  // namespace tandem::balancer::proxy
