#include "balancer/health/check_eval.h"

#include <regex>

#include "balancer/http/response_parser.h"
#include "balancer/http/syntax.h"
#include "common/strings.h"

namespace tandem::balancer::health {

namespace {

bool has_header(const config::CheckSpec& s, std::string_view name) {
  for (const auto& [n, v] : s.headers)
    if (iequals(n, name)) return true;
  return false;
}

bool regex_search(const std::string& pattern, std::string_view text) {
  // Validated at load time; compiled per check, which runs every few seconds.
  try {
    std::regex re(pattern, std::regex::ECMAScript);
    return std::regex_search(text.begin(), text.end(), re);
  } catch (const std::regex_error&) {
    return false;
  }
}

// The body of a chunked message, as far as it is complete; `done` when the
// last chunk was seen. Chunk framing errors end the body where they occur.
std::string dechunk(std::string_view in, bool& done) {
  std::string out;
  done = false;
  while (true) {
    size_t eol = in.find("\r\n");
    if (eol == std::string_view::npos) return out;
    std::string_view size_text = in.substr(0, eol);
    size_text = size_text.substr(0, size_text.find(';'));
    unsigned long long n = 0;
    if (size_text.empty() || size_text.size() > 8) return out;
    for (char c : size_text) {
      int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (v < 0) return out;
      n = n * 16 + static_cast<unsigned>(v);
    }
    if (n == 0) {
      done = true;
      return out;
    }
    if (in.size() < eol + 2 + n) {
      out.append(in.substr(eol + 2));
      return out;
    }
    out.append(in.substr(eol + 2, n));
    in.remove_prefix(std::min<std::size_t>(in.size(), eol + 2 + n + 2));
  }
}

CheckResult status_result(CheckStatus s, int code, std::string info) { return CheckResult{s, code, std::move(info), Millis(0)}; }

}  // namespace

std::string build_http_check_request(const config::CheckSpec& s) {
  std::string r = cat(s.method, ' ', s.uri, ' ', s.version, "\r\n");
  for (const auto& [n, v] : s.headers) append(r, n, ": ", v, "\r\n");
  if (s.version == "HTTP/1.1" && !has_header(s, "host")) r += "Host: localhost\r\n";
  if (!has_header(s, "connection")) r += "Connection: close\r\n";
  if (!s.body.empty() && !has_header(s, "content-length")) append(r, "Content-Length: ", s.body.size(), "\r\n");
  r += "\r\n";
  r += s.body;
  return r;
}

std::optional<CheckResult> judge_http(const config::CheckSpec& spec, std::string_view bytes, bool eof) {
  bool truncated = bytes.size() >= kMaxCheckResponse;
  if (truncated) bytes = bytes.substr(0, kMaxCheckResponse);
  http::ResponseParser parser(http::Limits{kMaxCheckResponse, 101});
  http::ResponseHead head;
  http::ParseError err;
  http::Method m = spec.method == "HEAD" ? http::Method::head : http::Method::get;
  http::ParseStatus st = parser.parse(bytes, m, head, err);
  if (st == http::ParseStatus::error || (st == http::ParseStatus::need_more && (eof || truncated)))
    return status_result(CheckStatus::l7rsp, 0, st == http::ParseStatus::error ? std::string(err.reason) : "incomplete response");
  if (st == http::ParseStatus::need_more) return std::nullopt;
  if (head.interim()) return status_result(CheckStatus::l7rsp, head.status, "interim response");

  bool wants_body = false;
  for (const auto& e : spec.expects)
    wants_body |= e.kind == config::HttpCheckExpect::Kind::string || e.kind == config::HttpCheckExpect::Kind::rstring;
  std::string body;
  if (wants_body) {
    std::string_view raw = bytes.substr(head.head_length);
    bool complete = eof || truncated;
    switch (head.body) {
      case http::BodyKind::none:
        complete = true;
        break;
      case http::BodyKind::content_length:
        if (raw.size() >= head.content_length) {
          raw = raw.substr(0, head.content_length);
          complete = true;
        }
        body = std::string(raw);
        break;
      case http::BodyKind::chunked: {
        bool done = false;
        body = dechunk(raw, done);
        complete |= done;
        break;
      }
      case http::BodyKind::until_close:
        body = std::string(raw);
        break;
    }
    if (!complete) return std::nullopt;
  }

  std::string reason(head.reason);
  if (spec.expects.empty()) {
    if (spec.disable_on_404 && head.status == 404) return status_result(CheckStatus::l7okc, 404, reason);
    if (head.status >= 200 && head.status < 400) return status_result(CheckStatus::l7ok, head.status, reason);
    return status_result(CheckStatus::l7sts, head.status, reason);
  }
  for (const auto& e : spec.expects) {
    bool ok = false;
    switch (e.kind) {
      case config::HttpCheckExpect::Kind::status:
        for (auto [lo, hi] : e.statuses) ok |= head.status >= lo && head.status <= hi;
        break;
      case config::HttpCheckExpect::Kind::rstatus:
        ok = regex_search(e.pattern, std::to_string(head.status));
        break;
      case config::HttpCheckExpect::Kind::string:
        ok = body.find(e.pattern) != std::string::npos;
        break;
      case config::HttpCheckExpect::Kind::rstring:
        ok = regex_search(e.pattern, body);
        break;
    }
    if (e.negate) ok = !ok;
    if (!ok) {
      bool status_rule = e.kind == config::HttpCheckExpect::Kind::status || e.kind == config::HttpCheckExpect::Kind::rstatus;
      if (spec.disable_on_404 && head.status == 404) return status_result(CheckStatus::l7okc, 404, reason);
      if (status_rule) return status_result(CheckStatus::l7sts, head.status, reason);
      return status_result(CheckStatus::l7rsp, head.status, cat("content did not match '", e.pattern, "'"));
    }
  }
  return status_result(CheckStatus::l7ok, head.status, reason);
}

Match judge_tcp_expect(const config::TcpCheckStep& step, std::string_view bytes, bool eof) {
  bool found = false;
  switch (step.match) {
    case config::TcpCheckStep::Match::string:
    case config::TcpCheckStep::Match::binary:
      found = bytes.find(step.data) != std::string_view::npos;
      break;
    case config::TcpCheckStep::Match::rstring:
      found = regex_search(step.data, bytes);
      break;
  }
  if (step.negate) {
    // A negated match can only pass once no more data can come.
    if (found) return Match::failed;
    return eof || bytes.size() >= kMaxCheckResponse ? Match::matched : Match::need_more;
  }
  if (found) return Match::matched;
  return eof || bytes.size() >= kMaxCheckResponse ? Match::failed : Match::need_more;
}

}  // namespace tandem::balancer::health
