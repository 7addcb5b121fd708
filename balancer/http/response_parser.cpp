#include "balancer/http/response_parser.h"

#include "balancer/http/head_parse.h"
#include "balancer/http/syntax.h"

namespace tandem::balancer::http {

using namespace syntax;
using detail::npos;

const Header* ResponseHead::find(std::string_view name) const {
  for (const Header& h : headers)
    if (iequals(h.name, name)) return &h;
  return nullptr;
}

ParseStatus ResponseParser::parse(std::string_view d, Method request_method, ResponseHead& out, ParseError& err) {
  auto fail = [&](std::string_view why, std::size_t at) {
    err = ParseError{502, why, at};
    return ParseStatus::error;
  };
  // A server has no business sending empty lines before a response; still,
  // they are harmless, so they are skipped as for requests.
  std::size_t start = detail::skip_leading_empty_lines(d);
  std::size_t end = start == npos ? npos : detail::find_head_end(d, start, scanned_);
  if (end == npos) {
    if (d.size() > limits_.max_head_bytes) return fail("response head too large", d.size());
    return ParseStatus::need_more;
  }
  if (end > limits_.max_head_bytes) return fail("response head too large", end);

  // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4)
  std::size_t next = 0;
  std::string_view line = detail::next_line(d, start, end, next);
  if (line.size() < 12 || line.substr(0, 5) != "HTTP/" || line[6] != '.' || line[8] != ' ')
    return fail("malformed status line", start);
  if (line.substr(0, 8) == "HTTP/1.1") out.version = Version::http11;
  else if (line.substr(0, 8) == "HTTP/1.0") out.version = Version::http10;
  else return fail("unsupported HTTP version in the response", start);
  int status = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (!is(static_cast<unsigned char>(line[i]), kDigit)) return fail("malformed status code", start + i);
    status = status * 10 + (line[i] - '0');
  }
  if (status < 100) return fail("status code below 100", start + 9);
  out.status = status;
  if (line.size() > 12) {
    if (line[12] != ' ') return fail("malformed status line", start + 12);
    std::string_view reason = line.substr(13);
    for (unsigned char c : reason)
      if (!is(c, kFieldValue)) return fail("control character in the reason phrase", start + 13);
    out.reason = reason;
  } else {
    out.reason = {};
  }

  out.headers.clear();
  if (!detail::parse_fields(d, next, end, limits_.max_headers, 502, out.headers, err)) return ParseStatus::error;

  out.connection = {};
  out.content_length = 0;
  bool have_cl = false, have_te = false, te_chunked_last = false, te_bad = false;
  for (const Header& h : out.headers) {
    std::string_view n = h.name;
    std::size_t at = static_cast<std::size_t>(n.data() - d.data());
    if (n.size() == 10 && iequals(n, "connection")) {
      for_each_list_item(h.value, [&](std::string_view tok) {
        if (iequals(tok, "close")) out.connection.close = true;
        else if (iequals(tok, "keep-alive")) out.connection.keep_alive = true;
        else if (iequals(tok, "upgrade")) out.connection.upgrade = true;
      });
    } else if (n.size() == 14 && iequals(n, "content-length")) {
      std::uint64_t v = 0;
      if (!parse_content_length(h.value, v)) return fail("invalid Content-Length in the response", at);
      if (have_cl && v != out.content_length) return fail("conflicting Content-Length in the response", at);
      have_cl = true;
      out.content_length = v;
    } else if (n.size() == 17 && iequals(n, "transfer-encoding")) {
      have_te = true;
      for_each_list_item(h.value, [&](std::string_view coding) {
        if (te_chunked_last) te_bad = true;
        te_chunked_last = iequals(coding, "chunked");
      });
    }
  }

  // Body length (RFC 9112 §6.3), in its order.
  if (request_method == Method::head || out.interim() || status == 204 || status == 304) {
    out.body = BodyKind::none;
  } else if (status == 101) {
    out.body = BodyKind::none;  // the connection becomes a tunnel
  } else if (have_te) {
    if (have_cl) return fail("both Content-Length and Transfer-Encoding in the response", start);
    if (te_bad) return fail("chunked is not the last transfer coding in the response", start);
    if (out.version == Version::http10) return fail("Transfer-Encoding on an HTTP/1.0 response", start);
    out.body = te_chunked_last ? BodyKind::chunked : BodyKind::until_close;
  } else if (have_cl) {
    out.body = out.content_length ? BodyKind::content_length : BodyKind::none;
  } else {
    out.body = BodyKind::until_close;
  }
  out.head_length = end;
  scanned_ = 0;
  return ParseStatus::complete;
}

}  // namespace tandem::balancer::http
