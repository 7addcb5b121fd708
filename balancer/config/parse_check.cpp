#include "balancer/config/parse_check.h"

#include <regex>

#include "common/strings.h"

namespace tandem::balancer::config {

namespace {

Result<void> check_regex(const Line& l, std::string_view kw, const std::string& pattern) {
  try {
    std::regex re(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return fail(keyword_error(l, kw, cat("invalid regex '", pattern, "': ", e.what())));
  }
  return {};
}

// Decodes the hex string of send-binary / expect binary.
bool decode_hex(std::string_view hex, std::string& out) {
  if (hex.size() % 2) return false;
  auto v = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out.clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = v(hex[i]), lo = v(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

bool valid_version(std::string_view v) { return v == "HTTP/1.0" || v == "HTTP/1.1"; }

}  // namespace

bool parse_status_list(std::string_view text, std::vector<std::pair<int, int>>& out) {
  out.clear();
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    size_t dash = item.find('-');
    long long lo = 0, hi = 0;
    if (dash == std::string_view::npos) {
      if (!parse_int(item, lo)) return false;
      hi = lo;
    } else if (!parse_int(item.substr(0, dash), lo) || !parse_int(item.substr(dash + 1), hi)) {
      return false;
    }
    if (lo < 100 || hi > 999 || hi < lo) return false;
    out.emplace_back(static_cast<int>(lo), static_cast<int>(hi));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return !out.empty();
}

Result<void> parse_option_httpchk(CheckSpec& c, const Line& l, size_t i) {
  const std::string_view kw = "option httpchk";
  c.kind = CheckSpec::Kind::http;
  c.origin = origin_of(l);
  size_t n = l.words.size() - i;
  if (n == 0) return {};
  if (n == 1) {  // option httpchk URI
    c.uri = l.words[i];
  } else if (n == 2 || n == 3) {
    c.method = l.words[i];
    c.uri = l.words[i + 1];
    if (n == 3) {
      // The old form packs headers into the version word:
      // "HTTP/1.1\r\nHost:\ localhost" (the lexer already decoded \r\n and "\ ").
      std::string v = l.words[i + 2];
      size_t crlf = v.find("\r\n");
      c.version = v.substr(0, crlf);
      if (crlf != std::string::npos) {
        std::string_view rest = std::string_view(v).substr(crlf + 2);
        while (!rest.empty()) {
          size_t e = rest.find("\r\n");
          std::string_view line = rest.substr(0, e);
          size_t colon = line.find(':');
          if (colon == std::string_view::npos || colon == 0)
            return fail(keyword_error(l, kw, cat("'", line, "' is not a 'Name: value' header")));
          std::string_view value = line.substr(colon + 1);
          while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
          c.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
          if (e == std::string_view::npos) break;
          rest.remove_prefix(e + 2);
        }
      }
    }
  } else {
    return fail(keyword_error(l, kw, "expects [METHOD URI [VERSION]]"));
  }
  if (c.uri.empty() || (c.uri[0] != '/' && c.uri != "*")) return fail(keyword_error(l, kw, cat("'", c.uri, "' is not a path")));
  if (!valid_version(c.version)) return fail(keyword_error(l, kw, cat("'", c.version, "' is not HTTP/1.0 or HTTP/1.1")));
  return {};
}

Result<void> parse_http_check(CheckSpec& c, const Line& l) {
  if (l.words.size() < 2) return fail(line_error(l, "expects send, expect or disable-on-404"));
  const std::string& verb = l.words[1];
  std::string kw = cat("http-check ", verb);
  if (verb == "disable-on-404") {
    if (l.words.size() != 2) return fail(keyword_error(l, kw, "takes no argument"));
    c.disable_on_404 = true;
    return {};
  }
  if (verb == "send") {
    for (size_t i = 2; i < l.words.size(); ++i) {
      const std::string& o = l.words[i];
      auto next = [&]() -> Result<std::string> {
        if (i + 1 >= l.words.size()) return fail(keyword_error(l, kw, cat("'", o, "' expects a value")));
        return l.words[++i];
      };
      if (o == "meth") {
        auto v = next();
        if (!v) return std::unexpected(v.error());
        c.method = *v;
      } else if (o == "uri") {
        auto v = next();
        if (!v) return std::unexpected(v.error());
        c.uri = *v;
      } else if (o == "ver") {
        auto v = next();
        if (!v) return std::unexpected(v.error());
        if (!valid_version(*v)) return fail(keyword_error(l, kw, cat("'", *v, "' is not HTTP/1.0 or HTTP/1.1")));
        c.version = *v;
      } else if (o == "hdr") {
        if (i + 2 >= l.words.size()) return fail(keyword_error(l, kw, "'hdr' expects a name and a value"));
        c.headers.emplace_back(l.words[i + 1], l.words[i + 2]);
        i += 2;
      } else if (o == "body") {
        auto v = next();
        if (!v) return std::unexpected(v.error());
        c.body = *v;
      } else {
        return fail(keyword_error(l, kw, cat("unknown option '", o, "' (meth, uri, ver, hdr, body)")));
      }
    }
    if (c.kind == CheckSpec::Kind::connect) c.kind = CheckSpec::Kind::http;
    return {};
  }
  if (verb == "expect") {
    HttpCheckExpect e;
    e.origin = origin_of(l);
    size_t i = 2;
    if (i < l.words.size() && l.words[i] == "!") {
      e.negate = true;
      ++i;
    }
    if (l.words.size() != i + 2) return fail(keyword_error(l, kw, "expects [!] status|rstatus|string|rstring PATTERN"));
    const std::string& k = l.words[i];
    e.pattern = l.words[i + 1];
    if (k == "status") {
      e.kind = HttpCheckExpect::Kind::status;
      if (!parse_status_list(e.pattern, e.statuses))
        return fail(keyword_error(l, kw, cat("'", e.pattern, "' is not a status code or range (e.g. 200, 200-399)")));
    } else if (k == "rstatus" || k == "rstring") {
      e.kind = k == "rstatus" ? HttpCheckExpect::Kind::rstatus : HttpCheckExpect::Kind::rstring;
      if (auto r = check_regex(l, kw, e.pattern); !r) return r;
    } else if (k == "string") {
      e.kind = HttpCheckExpect::Kind::string;
    } else {
      return fail(keyword_error(l, kw, cat("unknown match '", k, "' (status, rstatus, string, rstring)")));
    }
    c.expects.push_back(std::move(e));
    return {};
  }
  return fail(keyword_error(l, kw, "unknown verb (send, expect, disable-on-404)"));
}

Result<void> parse_tcp_check(CheckSpec& c, const Line& l) {
  if (l.words.size() < 2) return fail(line_error(l, "expects connect, send, send-binary or expect"));
  const std::string& verb = l.words[1];
  std::string kw = cat("tcp-check ", verb);
  TcpCheckStep s;
  s.origin = origin_of(l);
  if (verb == "connect") {
    s.kind = TcpCheckStep::Kind::connect;
    for (size_t i = 2; i < l.words.size(); ++i) {
      if (l.words[i] == "port") {
        auto p = arg_u32(l, i + 1, "tcp-check connect port", 1, 65535);
        if (!p) return std::unexpected(p.error());
        s.port = static_cast<std::uint16_t>(*p);
        ++i;
      } else {
        return fail(keyword_error(l, kw, cat("unsupported option '", l.words[i], "'")));
      }
    }
  } else if (verb == "send" || verb == "send-binary") {
    if (l.words.size() != 3) return fail(keyword_error(l, kw, "expects one argument"));
    s.kind = TcpCheckStep::Kind::send;
    if (verb == "send-binary") {
      if (!decode_hex(l.words[2], s.data)) return fail(keyword_error(l, kw, cat("'", l.words[2], "' is not hex")));
    } else {
      s.data = l.words[2];
    }
  } else if (verb == "expect") {
    s.kind = TcpCheckStep::Kind::expect;
    size_t i = 2;
    if (i < l.words.size() && l.words[i] == "!") {
      s.negate = true;
      ++i;
    }
    if (l.words.size() != i + 2) return fail(keyword_error(l, kw, "expects [!] string|rstring|binary PATTERN"));
    const std::string& k = l.words[i];
    if (k == "string") {
      s.match = TcpCheckStep::Match::string;
      s.data = l.words[i + 1];
    } else if (k == "rstring") {
      s.match = TcpCheckStep::Match::rstring;
      s.data = l.words[i + 1];
      if (auto r = check_regex(l, kw, s.data); !r) return r;
    } else if (k == "binary") {
      s.match = TcpCheckStep::Match::binary;
      if (!decode_hex(l.words[i + 1], s.data)) return fail(keyword_error(l, kw, cat("'", l.words[i + 1], "' is not hex")));
    } else {
      return fail(keyword_error(l, kw, cat("unknown match '", k, "' (string, rstring, binary)")));
    }
  } else if (verb == "comment") {
    return {};
  } else {
    return fail(keyword_error(l, kw, "unknown verb (connect, send, send-binary, expect)"));
  }
  c.tcp_steps.push_back(std::move(s));
  return {};
}

}  // namespace tandem::balancer::config
