#pragma once
// A pure, incremental HTTP/1.1 response-head parser (RFC 9112). Any flaw is an
// error with status 502: the client gets a Bad Gateway from the proxy, never
// a malformed response.

#include <string_view>

#include "balancer/http/message.h"

namespace tandem::balancer::http {

class ResponseParser {
 public:
  explicit ResponseParser(Limits limits = {}) : limits_(limits) {}

  // As RequestParser::parse. `request_method` decides framing: a response to
  // HEAD has no body whatever its headers say (RFC 9112 §6.3).
  ParseStatus parse(std::string_view data, Method request_method, ResponseHead& out, ParseError& err);

  void reset() { scanned_ = 0; }

 private:
  Limits limits_;
  std::size_t scanned_ = 0;
};

}  // namespace tandem::balancer::http
