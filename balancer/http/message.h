#pragma once
// HTTP/1.x message heads as the parsers produce them: views into the bytes
// they parsed, valid while those bytes are. Plain data, no behaviour.

#include <cstdint>
#include <string_view>
#include <vector>

namespace tandem::balancer::http {

enum class Version : std::uint8_t { http10, http11 };

enum class Method : std::uint8_t { get, head, post, put, del, options, trace, patch, connect, other };

struct Header {
  std::string_view name;
  std::string_view value;  // without surrounding whitespace
};

// How a message body is delimited (RFC 9112 §6.3).
enum class BodyKind : std::uint8_t {
  none,            // no body
  content_length,  // exactly `content_length` bytes
  chunked,         // chunked transfer coding (last coding)
  until_close,     // response only: everything until the server closes
};

// The Connection header's tokens we act on; others name hop-by-hop headers.
struct ConnectionTokens {
  bool close = false;
  bool keep_alive = false;
  bool upgrade = false;
};

struct RequestHead {
  std::string_view method_text;
  Method method = Method::other;
  std::string_view target;  // as sent: origin-form, absolute-form or "*"
  Version version = Version::http11;
  std::vector<Header> headers;

  BodyKind body = BodyKind::none;
  std::uint64_t content_length = 0;
  ConnectionTokens connection;
  bool expect_continue = false;  // Expect: 100-continue on HTTP/1.1
  bool upgrade = false;          // Connection: upgrade + Upgrade: ...
  std::string_view host;         // the Host header (or the absolute-form authority)
  std::size_t head_length = 0;   // bytes of the head, including the empty line

  // The client may send another request on this connection afterwards.
  bool wants_keep_alive() const {
    return version == Version::http11 ? !connection.close : connection.keep_alive && !connection.close;
  }
  const Header* find(std::string_view name) const;
};

struct ResponseHead {
  Version version = Version::http11;
  int status = 0;
  std::string_view reason;
  std::vector<Header> headers;

  BodyKind body = BodyKind::none;
  std::uint64_t content_length = 0;
  ConnectionTokens connection;
  std::size_t head_length = 0;

  bool interim() const { return status >= 100 && status < 200 && status != 101; }
  bool server_keeps_alive() const {
    return version == Version::http11 ? !connection.close : connection.keep_alive && !connection.close;
  }
  const Header* find(std::string_view name) const;
};

// Why a message was refused; `status` is what the proxy answers with
// (400, 501, 505 for requests; 502 for responses).
struct ParseError {
  int status = 400;
  std::string_view reason;  // a static string: "whitespace before colon"...
  std::size_t offset = 0;   // where in the bytes it was found
};

enum class ParseStatus : std::uint8_t { complete, need_more, error };

struct Limits {
  std::size_t max_head_bytes = 16384 - 1024;  // tune.bufsize - tune.maxrewrite
  std::size_t max_headers = 101;              // tune.http.maxhdr
};

}  // namespace tandem::balancer::http
