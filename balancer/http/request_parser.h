#pragma once
// A pure, incremental HTTP/1.1 request-head parser (RFC 9112), strict on
// anything that could make two parsers disagree about framing. Bytes in;
// complete, need-more, or an error with the status to answer and the offset.
//
// Refused with 400 unless noted: a bad request line; an HTTP version other
// than 1.0/1.1 (505); CONNECT (501); whitespace before a colon; empty or
// invalid header names; NUL, bare CR or other control bytes in values;
// obsolete line folding; a missing or repeated Host on HTTP/1.1; a malformed,
// signed, empty, listed, overflowing or conflicting Content-Length;
// Content-Length together with Transfer-Encoding; Transfer-Encoding on
// HTTP/1.0 or whose last coding is not chunked (an unknown coding: 501); a
// head larger than the limit; more headers than the limit.

#include <string_view>

#include "balancer/http/message.h"

namespace tandem::balancer::http {

class RequestParser {
 public:
  explicit RequestParser(Limits limits = {}) : limits_(limits) {}

  // `data` holds the bytes received for this request so far, from its first
  // byte (empty lines before it included). Call again with more bytes after
  // need_more; the parser resumes its search for the end of the head. On
  // complete, `out` views into `data` and out.head_length is where the body
  // (or the next request) starts.
  ParseStatus parse(std::string_view data, RequestHead& out, ParseError& err);

  // Forgets progress, for the next request on the connection.
  void reset() { scanned_ = 0; }

 private:
  Limits limits_;
  std::size_t scanned_ = 0;
};

Method method_of(std::string_view m);

}  // namespace tandem::balancer::http
