#pragma once
// Getting a connection to a server for one request or TCP session: pick a
// server and take a slot on it (waiting in the queue when every server is at
// maxconn, up to `timeout queue`), reuse an idle connection where allowed,
// or connect (`timeout connect`), retrying `retries` times and moving to
// another server on the retry `option redispatch` names.

#include <asio/awaitable.hpp>
#include <memory>
#include <optional>

#include "balancer/proxy/conn_pool.h"
#include "balancer/proxy/io.h"
#include "balancer/proxy/queue_wait.h"
#include "balancer/rules/context.h"
#include "balancer/runtime/backend.h"

namespace tandem::balancer::proxy {

struct DispatchRequest {
  runtime::Backend* backend = nullptr;
  std::optional<std::uint32_t> hash;    // for hash-based balancing
  runtime::Server* forced = nullptr;    // persistence: this server only
  bool allow_reuse = false;             // may take an idle pooled connection
  std::uint16_t client_dst_port = 0;    // for servers declared without a port
  rules::EvalContext* ctx = nullptr;    // evaluates a TLS server's `sni` expression
  bool log_queue = true;                // fill Dispatched::queue (only a log reads it)
  // The request's first bytes, for a plain connection whose connect(2) is
  // still in progress: a send that succeeds proves the connection up
  // (HAProxy does the same), where a poll(2) would cost a system call.
  asio::const_buffer first_a, first_b;
};

struct Dispatched {
  std::unique_ptr<ServerConn> conn;   // set on success
  runtime::Server* server = nullptr;  // holds a slot on success (release it)
  bool reused = false;
  std::size_t sent = 0;               // of first_a + first_b, already on the connection
  int error_status = 0;               // 503 when no server could be had
  const char* reason = "";            // why, for the log
  QueueWait queue;                    // the first slot's wait (%Tw, %sq/%bq)
};

asio::awaitable<Dispatched> dispatch(Worker& w, Side& server_side, const DispatchRequest& req);

// Opens a new connection to `server` (no slot handling), for a retry on a
// fresh connection after a reused one failed.
asio::awaitable<std::unique_ptr<ServerConn>> connect_fresh(Worker& w, Side& server_side, runtime::Server& server,
                                                           std::uint16_t client_dst_port, rules::EvalContext* ctx = nullptr);

}  // namespace tandem::balancer::proxy
