#pragma once
// What a connection needs only while a request is in flight: parsed heads,
// parsers, chunked decoders, the forwarded head, the server-side buffer, the
// request-body pump's deadlines, the request's log record and what it adds
// to the stick counters. A session borrows one from its worker's pool
// when a request starts and gives it back when the connection goes idle, so an
// idle keep-alive connection holds none of it, and busy ones reuse the
// capacity of vectors and strings instead of allocating per request.

#include <memory>
#include <string>
#include <vector>

#include "balancer/http/chunked.h"
#include "balancer/http/request_parser.h"
#include "balancer/http/response_parser.h"
#include "balancer/net/buffer_pool.h"
#include "balancer/proxy/io.h"
#include "balancer/proxy/request_logging.h"
#include "balancer/rules/context.h"

namespace tandem::balancer::proxy {

struct HttpExchange {
  explicit HttpExchange(http::Limits limits) : rparser(limits), sparser(limits) {}

  http::RequestParser rparser;
  http::RequestHead req;
  http::ResponseParser sparser;
  http::ResponseHead resp;
  http::ChunkedDecoder req_chunks;
  http::ChunkedDecoder resp_chunks;
  std::string head_out;
  net::IoBuffer sbuf;  // bytes from the server
  Side server_side;    // the server connection's socket and deadline
  // The request-body pump runs beside the response path on the same sockets:
  // it needs deadlines of its own.
  Side pump_client_side;
  Side pump_server_side;
  // What the request's rules read and write.
  rules::EvalContext ctx;
  // The request's log record (filled whether or not the frontend logs: the
  // byte counts and the status cost less to keep than to test for), and the
  // backend and server chosen for it (for the log and the byte counters).
  RequestLogState log;
  runtime::Backend* backend = nullptr;
  runtime::Server* server = nullptr;
  // Bytes the request moved, for the stick counters when it ends.
  std::uint64_t stick_in = 0;
  std::uint64_t stick_out = 0;
};

// A per-worker free list of exchanges (single-threaded, like the worker).
class ExchangePool {
 public:
  static constexpr std::size_t kMaxFree = 128;

  struct Return {
    ExchangePool* pool;
    void operator()(HttpExchange* x) const { pool->give_back(x); }
  };
  using Ptr = std::unique_ptr<HttpExchange, Return>;

  Ptr take(http::Limits limits) {
    if (!free_.empty()) {
      HttpExchange* x = free_.back().release();
      free_.pop_back();
      x->rparser = http::RequestParser(limits);
      x->sparser = http::ResponseParser(limits);
      return Ptr(x, Return{this});
    }
    return Ptr(new HttpExchange(limits), Return{this});
  }

 private:
  void give_back(HttpExchange* x) {
    x->sbuf.release();
    x->server_side.deadline.disarm();
    x->server_side.socket = nullptr;
    x->server_side.tls = nullptr;
    x->pump_client_side.tls = nullptr;
    x->pump_server_side.tls = nullptr;
    x->ctx.clear_scratch();
    x->ctx.vars.clear();
    x->pump_client_side.deadline.disarm();
    x->pump_server_side.deadline.disarm();
    x->log.captures.clear();
    x->backend = nullptr;
    x->server = nullptr;
    x->stick_in = x->stick_out = 0;
    if (free_.size() < kMaxFree) free_.emplace_back(x);
    else delete x;
  }
  std::vector<std::unique_ptr<HttpExchange>> free_;
};

}  // namespace tandem::balancer::proxy
