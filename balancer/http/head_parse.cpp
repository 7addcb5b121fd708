#include "balancer/http/head_parse.h"

#include <cstring>

#include "balancer/http/syntax.h"

namespace tandem::balancer::http::detail {

using namespace syntax;

std::size_t skip_leading_empty_lines(std::string_view d) {
  std::size_t i = 0;
  while (i < d.size()) {
    if (d[i] == '\n') {
      ++i;
    } else if (d[i] == '\r') {
      if (i + 1 == d.size()) return npos;
      if (d[i + 1] != '\n') return i;  // a bare CR: the start line will be refused
      i += 2;
    } else {
      return i;
    }
  }
  return npos;
}

std::size_t find_head_end(std::string_view d, std::size_t start, std::size_t& scanned) {
  std::size_t i = scanned > start ? scanned : start;
  while (i < d.size()) {
    const void* p = std::memchr(d.data() + i, '\n', d.size() - i);
    if (!p) {
      scanned = d.size();
      return npos;
    }
    std::size_t j = static_cast<std::size_t>(static_cast<const char*>(p) - d.data());
    if (j + 1 >= d.size()) {
      scanned = j;  // the next byte decides
      return npos;
    }
    if (d[j + 1] == '\n') return j + 2;
    if (d[j + 1] == '\r') {
      if (j + 2 >= d.size()) {
        scanned = j;
        return npos;
      }
      if (d[j + 2] == '\n') return j + 3;
    }
    i = j + 1;
  }
  scanned = d.size();
  return npos;
}

std::string_view next_line(std::string_view d, std::size_t pos, std::size_t end, std::size_t& next) {
  const void* p = std::memchr(d.data() + pos, '\n', end - pos);
  std::size_t nl = p ? static_cast<std::size_t>(static_cast<const char*>(p) - d.data()) : end;
  next = nl + 1;
  std::size_t stop = nl;
  if (stop > pos && d[stop - 1] == '\r') --stop;
  return d.substr(pos, stop - pos);
}

bool parse_fields(std::string_view d, std::size_t pos, std::size_t end, std::size_t max_headers, int bad_status,
                  std::vector<Header>& out, ParseError& err) {
  auto fail = [&](std::string_view why, std::size_t at) {
    err = ParseError{bad_status, why, at};
    return false;
  };
  while (pos < end) {
    std::size_t next = 0;
    std::string_view line = next_line(d, pos, end, next);
    if (line.empty()) break;  // the final empty line
    if (line[0] == ' ' || line[0] == '\t') return fail("obsolete line folding", pos);
    std::size_t i = 0;
    while (i < line.size() && is(static_cast<unsigned char>(line[i]), kToken)) ++i;
    if (i == line.size()) return fail("header line without a colon", pos);
    if (line[i] != ':') {
      if (line[i] == ' ' || line[i] == '\t') return fail("whitespace before the colon in a header", pos + i);
      return fail("invalid character in a header name", pos + i);
    }
    if (i == 0) return fail("empty header name", pos);
    std::string_view name = line.substr(0, i);
    std::string_view value = line.substr(i + 1);
    for (std::size_t k = 0; k < value.size(); ++k) {
      unsigned char c = static_cast<unsigned char>(value[k]);
      if (!is(c, kFieldValue)) {
        std::size_t at = pos + i + 1 + k;
        if (c == 0) return fail("NUL in a header value", at);
        if (c == '\r') return fail("bare CR in a header value", at);
        return fail("control character in a header value", at);
      }
    }
    if (out.size() >= max_headers) return fail("too many headers", pos);
    out.push_back(Header{name, trim_ows(value)});
    pos = next;
  }
  return true;
}

}  // namespace tandem::balancer::http::detail

namespace tandem::balancer::http::syntax {

bool parse_content_length(std::string_view v, std::uint64_t& out) {
  if (v.empty() || v.size() > 19) {
    // 19 digits hold every value up to 2^63-1; leading zeros beyond that are
    // refused too, rather than risk two parsers disagreeing.
    return false;
  }
  std::uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n > 0x7fffffffffffffffULL) return false;
  out = n;
  return true;
}

}  // namespace tandem::balancer::http::syntax
