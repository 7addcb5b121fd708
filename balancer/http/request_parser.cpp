#include "balancer/http/request_parser.h"

#include "balancer/http/head_parse.h"
#include "balancer/http/syntax.h"

namespace tandem::balancer::http {

using namespace syntax;
using detail::npos;

const Header* RequestHead::find(std::string_view name) const {
  for (const Header& h : headers)
    if (iequals(h.name, name)) return &h;
  return nullptr;
}

Method method_of(std::string_view m) {
  switch (m.size()) {
    case 3:
      if (m == "GET") return Method::get;
      if (m == "PUT") return Method::put;
      break;
    case 4:
      if (m == "HEAD") return Method::head;
      if (m == "POST") return Method::post;
      break;
    case 5:
      if (m == "TRACE") return Method::trace;
      if (m == "PATCH") return Method::patch;
      break;
    case 6:
      if (m == "DELETE") return Method::del;
      break;
    case 7:
      if (m == "OPTIONS") return Method::options;
      if (m == "CONNECT") return Method::connect;
      break;
  }
  return Method::other;
}

namespace {

// "HTTP/1.1" -> http11; another HTTP/d.d -> 505; anything else -> 400.
bool parse_version(std::string_view v, Version& out, ParseError& err, std::size_t at, int bad_status) {
  if (v.size() == 8 && v.substr(0, 5) == "HTTP/" && is(static_cast<unsigned char>(v[5]), kDigit) && v[6] == '.' &&
      is(static_cast<unsigned char>(v[7]), kDigit)) {
    if (v[5] == '1' && v[7] == '1') {
      out = Version::http11;
      return true;
    }
    if (v[5] == '1' && v[7] == '0') {
      out = Version::http10;
      return true;
    }
    err = ParseError{bad_status == 400 ? 505 : bad_status, "unsupported HTTP version", at};
    return false;
  }
  err = ParseError{bad_status, "malformed HTTP version", at};
  return false;
}

bool is_known_coding(std::string_view c) {
  return iequals(c, "gzip") || iequals(c, "x-gzip") || iequals(c, "deflate") || iequals(c, "compress") ||
         iequals(c, "x-compress");
}

// Checks the Host value's shape: uri-host [":" port], no whitespace, no
// userinfo, no path (RFC 9110 §7.2).
bool valid_host(std::string_view h) {
  if (h.empty()) return true;  // an empty Host is allowed when the target has no authority
  for (unsigned char c : h) {
    if (c <= 0x20 || c >= 0x7f || c == '/' || c == '@' || c == '?' || c == '#' || c == '\\') return false;
  }
  return true;
}

}  // namespace

ParseStatus RequestParser::parse(std::string_view d, RequestHead& out, ParseError& err) {
  std::size_t start = detail::skip_leading_empty_lines(d);
  if (start == npos) {
    if (d.size() > limits_.max_head_bytes) {
      err = ParseError{400, "request head too large", d.size()};
      return ParseStatus::error;
    }
    return ParseStatus::need_more;
  }
  std::size_t end = detail::find_head_end(d, start, scanned_);
  if (end == npos) {
    if (d.size() > limits_.max_head_bytes) {
      err = ParseError{400, "request head too large", d.size()};
      return ParseStatus::error;
    }
    return ParseStatus::need_more;
  }
  if (end > limits_.max_head_bytes) {
    err = ParseError{400, "request head too large", end};
    return ParseStatus::error;
  }

  auto fail = [&](int status, std::string_view why, std::size_t at) {
    err = ParseError{status, why, at};
    return ParseStatus::error;
  };

  // Request line: method SP request-target SP HTTP-version (RFC 9112 §3),
  // single spaces only: lenient splitting is how request smuggling starts.
  std::size_t next = 0;
  std::string_view line = detail::next_line(d, start, end, next);
  std::size_t i = 0;
  while (i < line.size() && is(static_cast<unsigned char>(line[i]), kToken)) ++i;
  if (i == 0 || i == line.size() || line[i] != ' ') return fail(400, "invalid method", start + i);
  out.method_text = line.substr(0, i);
  out.method = method_of(out.method_text);
  std::size_t t0 = ++i;
  while (i < line.size() && is(static_cast<unsigned char>(line[i]), kTarget)) ++i;
  if (i == t0) return fail(400, "invalid request target", start + i);
  if (i == line.size() || line[i] != ' ') return fail(400, "invalid character in the request target", start + i);
  out.target = line.substr(t0, i - t0);
  if (!parse_version(line.substr(i + 1), out.version, err, start + i + 1, 400)) return ParseStatus::error;
  if (out.method == Method::connect) return fail(501, "CONNECT is not supported", start);
  if (out.target[0] != '/' && out.target != "*" && !out.target.starts_with("http://") &&
      !out.target.starts_with("https://"))
    return fail(400, "invalid request target", start + t0);
  if (out.target == "*" && out.method != Method::options) return fail(400, "'*' target outside OPTIONS", start + t0);

  out.headers.clear();
  if (!detail::parse_fields(d, next, end, limits_.max_headers, 400, out.headers, err)) return ParseStatus::error;

  // Framing and connection semantics (RFC 9112 §6, §9; RFC 9110 §7.2, §10.1.1).
  out.body = BodyKind::none;
  out.content_length = 0;
  out.connection = {};
  out.expect_continue = false;
  out.upgrade = false;
  out.host = {};
  bool have_cl = false, have_te = false, te_chunked_last = false, have_host = false, have_upgrade_header = false;
  for (const Header& h : out.headers) {
    std::string_view n = h.name;
    std::size_t at = static_cast<std::size_t>(n.data() - d.data());
    switch (n.size()) {
      case 4:
        if (iequals(n, "host")) {
          if (have_host) return fail(400, "more than one Host header", at);
          have_host = true;
          if (!valid_host(h.value)) return fail(400, "invalid Host header", at);
          out.host = h.value;
        }
        break;
      case 6:
        if (iequals(n, "expect") && iequals(h.value, "100-continue") && out.version == Version::http11)
          out.expect_continue = true;
        break;
      case 7:
        if (iequals(n, "upgrade")) have_upgrade_header = !h.value.empty();
        break;
      case 10:
        if (iequals(n, "connection")) {
          for_each_list_item(h.value, [&](std::string_view tok) {
            if (iequals(tok, "close")) out.connection.close = true;
            else if (iequals(tok, "keep-alive")) out.connection.keep_alive = true;
            else if (iequals(tok, "upgrade")) out.connection.upgrade = true;
          });
        }
        break;
      case 14:
        if (iequals(n, "content-length")) {
          std::uint64_t v = 0;
          if (!parse_content_length(h.value, v)) return fail(400, "invalid Content-Length", at);
          if (have_cl && v != out.content_length) return fail(400, "conflicting Content-Length headers", at);
          have_cl = true;
          out.content_length = v;
        }
        break;
      case 17:
        if (iequals(n, "transfer-encoding")) {
          if (out.version == Version::http10) return fail(400, "Transfer-Encoding on HTTP/1.0", at);
          bool bad = false, unknown = false, empty = true;
          for_each_list_item(h.value, [&](std::string_view coding) {
            empty = false;
            if (te_chunked_last) bad = true;  // chunked must be last, and only once (RFC 9112 §7)
            if (iequals(coding, "chunked")) te_chunked_last = true;
            else if (!is_known_coding(coding)) unknown = true;
          });
          if (empty) return fail(400, "empty Transfer-Encoding", at);
          if (bad) return fail(400, "chunked is not the last transfer coding", at);
          if (unknown) return fail(501, "unknown transfer coding", at);
          have_te = true;
        }
        break;
    }
  }
  if (out.version == Version::http11 && !have_host) return fail(400, "missing Host header", start);
  if (have_te) {
    if (have_cl) return fail(400, "both Content-Length and Transfer-Encoding", start);
    if (!te_chunked_last) return fail(400, "chunked is not the last transfer coding", start);
    out.body = BodyKind::chunked;
  } else if (have_cl) {
    out.body = out.content_length ? BodyKind::content_length : BodyKind::none;
  }
  out.upgrade = out.connection.upgrade && have_upgrade_header && out.version == Version::http11;
  if (out.target.starts_with("http")) {
    // absolute-form: the target's authority is the host (RFC 9112 §3.2.2); a
    // differing Host header is refused rather than guessed at.
    std::string_view rest = out.target.substr(out.target[4] == 's' ? 8 : 7);
    std::string_view authority = rest.substr(0, rest.find('/'));
    if (authority.empty() || !valid_host(authority)) return fail(400, "invalid authority in the request target", start);
    if (have_host && !iequals(authority, out.host)) return fail(400, "Host header differs from the target's authority", start);
    out.host = authority;
  }
  out.head_length = end;
  scanned_ = 0;
  return ParseStatus::complete;
}

}  // namespace tandem::balancer::http
