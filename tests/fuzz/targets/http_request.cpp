// The request-head parser and the chunked decoder on untrusted bytes: never a
// crash, never a read outside the input, and the invariants the proxy relies
// on hold for every accepted head.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "balancer/http/chunked.h"
#include "balancer/http/request_parser.h"

using namespace tandem::balancer::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  RequestParser p(Limits{.max_head_bytes = 8192, .max_headers = 50});
  RequestHead head;
  ParseError err;
  // Feed in two steps, as bytes arrive from a socket.
  size_t split = size / 3;
  ParseStatus st = p.parse(in.substr(0, split), head, err);
  if (st == ParseStatus::need_more) st = p.parse(in, head, err);
  if (st == ParseStatus::complete) {
    if (head.head_length > size) __builtin_trap();
    if (head.body == BodyKind::chunked && head.version != Version::http11) __builtin_trap();
    if (head.version == Version::http11 && head.find("host") == nullptr && !head.target.starts_with("http"))
      __builtin_trap();
    if (head.headers.size() > 50) __builtin_trap();
    if (head.body == BodyKind::chunked) {
      ChunkedDecoder dec;
      ChunkedDecoder::Step step;
      std::string_view body = in.substr(head.head_length);
      size_t total = 0;
      while (!body.empty() && dec.feed(body.substr(0, 7), 400, step, err)) {
        if (step.consumed > 7) __builtin_trap();
        total += step.consumed;
        body.remove_prefix(step.consumed);
        if (step.done || step.consumed == 0) break;
      }
      if (total > size) __builtin_trap();
    }
  } else if (st == ParseStatus::error) {
    if (err.status != 400 && err.status != 501 && err.status != 505) __builtin_trap();
  }
  return 0;
}
