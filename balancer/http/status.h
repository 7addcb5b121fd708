#pragma once
// Status codes' reason phrases, and the responses the proxy itself sends
// (400, 403, 408, 429, 500, 502, 503, 504...), as HAProxy words them.

#include <string>
#include <string_view>

namespace tandem::balancer::http {

std::string_view reason_phrase(int status);

// A complete HTTP/1.1 response: status line, Content-Length, no caching,
// `Connection: close` when `close`, and a short HTML body saying what
// happened. `extra_headers` are whole lines with CRLF ("Retry-After: 1\r\n").
std::string make_error_response(int status, bool close, std::string_view extra_headers = {});

}  // namespace tandem::balancer::http
