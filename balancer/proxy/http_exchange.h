#pragma once
// What a connection needs only while a request is in flight: parsed heads,
// parsers, chunked decoders, the forwarded head, the server-side buffer, the
// request-body pump's deadlines. A session borrows one from its worker's pool
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
    if (free_.size() < kMaxFree) free_.emplace_back(x);
    else delete x;
  }
  std::vector<std::unique_ptr<HttpExchange>> free_;
};

}  // namespace tandem::balancer::proxy
