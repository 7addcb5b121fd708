// The response-head parser on untrusted bytes (a server is not trusted
// either): errors are always 502, and framing is consistent.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "balancer/http/response_parser.h"

using namespace tandem::balancer::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Method m = data[0] & 1 ? Method::head : Method::get;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  ResponseParser p(Limits{.max_head_bytes = 8192, .max_headers = 50});
  ResponseHead head;
  ParseError err;
  ParseStatus st = p.parse(in, m, head, err);
  if (st == ParseStatus::complete) {
    if (head.status < 100 || head.status > 999) __builtin_trap();
    if (m == Method::head && head.body != BodyKind::none) __builtin_trap();
    if (head.head_length > in.size()) __builtin_trap();
  } else if (st == ParseStatus::error && err.status != 502) {
    __builtin_trap();
  }
  return 0;
}
