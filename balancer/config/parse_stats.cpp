#include "balancer/config/parse_stats.h"

#include "balancer/logging/log_format.h"
#include "common/strings.h"

namespace tandem::balancer::config {

Result<void> parse_stats_line(Proxy& p, const Line& l, bool in_defaults) {
  if (l.words.size() < 2) return fail(line_error(l, "expects a sub-keyword (enable, uri, auth, realm, refresh, admin...)"));
  const std::string& k = l.words[1];
  std::string kw = cat("stats ", k);
  StatsPage& s = p.stats;
  auto one_arg = [&](std::string_view what) -> Result<void> { return expect_args(l, 2, 1, what); };
  if (k == "socket" || k == "timeout" || k == "maxconn" || k == "bind-process")
    return fail(keyword_error(l, kw, "belongs in the global section"));
  if (k == "enable") {
    if (l.words.size() != 2) return fail(keyword_error(l, kw, "takes no argument"));
  } else if (k == "uri") {
    if (auto r = one_arg("a URI prefix"); !r) return r;
    if (l.words[2].empty() || l.words[2][0] != '/') return fail(keyword_error(l, kw, "expects a path starting with '/'"));
    s.uri = l.words[2];
  } else if (k == "refresh") {
    if (auto r = one_arg("a time"); !r) return r;
    auto t = arg_time(l, 2, kw);
    if (!t) return std::unexpected(t.error());
    if (t->count() < 1000 && t->count() != 0) return fail(keyword_error(l, kw, "must be 0 or at least 1s"));
    s.refresh = *t;
  } else if (k == "auth") {
    if (auto r = one_arg("USER:PASSWORD"); !r) return r;
    const std::string& a = l.words[2];
    size_t colon = a.find(':');
    if (colon == std::string::npos || colon == 0) return fail(keyword_error(l, kw, "expects USER:PASSWORD"));
    s.users.emplace_back(a.substr(0, colon), a.substr(colon + 1));
  } else if (k == "realm") {
    if (auto r = one_arg("a realm"); !r) return r;
    if (l.words[2].find('"') != std::string::npos) return fail(keyword_error(l, kw, "must not contain '\"'"));
    s.realm = l.words[2];
  } else if (k == "admin") {
    if (in_defaults) return fail(keyword_error(l, kw, "not allowed in a defaults section"));
    if (l.words.size() < 4 || (l.words[2] != "if" && l.words[2] != "unless"))
      return fail(keyword_error(l, kw, "expects 'if CONDITION' or 'unless CONDITION'"));
    p.rules.push_back(Statement{l.words, origin_of(l)});
  } else if (k == "http-request") {
    // stats http-request allow|deny|auth [realm R] [if|unless COND]: the
    // action's syntax here, the condition when the rules are compiled.
    if (in_defaults) return fail(keyword_error(l, kw, "not allowed in a defaults section"));
    if (l.words.size() < 3 || (l.words[2] != "allow" && l.words[2] != "deny" && l.words[2] != "auth"))
      return fail(keyword_error(l, kw, "expects 'allow', 'deny' or 'auth [realm REALM]', then optionally 'if|unless CONDITION'"));
    std::size_t i = 3;
    if (l.words[2] == "auth" && i < l.words.size() && l.words[i] == "realm") {
      if (i + 1 >= l.words.size()) return fail(keyword_error(l, kw, "'realm' expects a realm"));
      if (l.words[i + 1].find('"') != std::string::npos) return fail(keyword_error(l, kw, "the realm must not contain '\"'"));
      i += 2;
    }
    if (i < l.words.size() && ((l.words[i] != "if" && l.words[i] != "unless") || i + 1 >= l.words.size()))
      return fail(keyword_error(l, kw, cat("unexpected '", l.words[i], "' (expected 'if CONDITION' or 'unless CONDITION')")));
    p.rules.push_back(Statement{l.words, origin_of(l)});
  } else if (k == "scope") {
    if (auto r = one_arg("a proxy name or '.'"); !r) return r;
    s.scope.push_back({l.words[2], origin_of(l)});
  } else if (k == "hide-version") {
    if (l.words.size() != 2) return fail(keyword_error(l, kw, "takes no argument"));
    s.hide_version = true;
  } else if (k == "show-legends") {
    if (l.words.size() != 2) return fail(keyword_error(l, kw, "takes no argument"));
    s.show_legends = true;
  } else if (k == "show-node") {
    if (l.words.size() > 3) return fail(keyword_error(l, kw, "takes at most a name"));
    s.show_node = true;
  } else if (k == "show-desc") {
    if (l.words.size() > 3) return fail(keyword_error(l, kw, "takes at most a description"));
    s.show_desc = l.words.size() == 3 ? l.words[2] : "";
  } else {
    return fail(keyword_error(l, kw, "unknown or unsupported stats keyword"));
  }
  s.enabled = true;
  s.origin = origin_of(l);
  return {};
}

Result<void> parse_capture_line(Proxy& p, const Line& l) {
  // capture cookie NAME len N
  if (l.words.size() >= 2 && l.words[1] == "cookie") {
    if (l.words.size() != 5 || l.words[3] != "len") return fail(line_error(l, "expects 'capture cookie NAME len N'"));
    auto n = arg_u32(l, 4, "capture len", 1, 65536);
    if (!n) return std::unexpected(n.error());
    // HAProxy keeps only the last one; lengths above 63 are cut to 63 by
    // the parser's final pass, with HAProxy's warning.
    p.capture_cookie = l.words[2];
    p.capture_cookie_len = *n;
    return {};
  }
  // capture request|response header NAME len N
  if (l.words.size() != 6 || (l.words[1] != "request" && l.words[1] != "response") || l.words[2] != "header" ||
      l.words[4] != "len")
    return fail(line_error(l, "expects 'capture request|response header NAME len N'"));
  auto n = arg_u32(l, 5, "capture len", 1, 65536);
  if (!n) return std::unexpected(n.error());
  Capture c;
  c.request = l.words[1] == "request";
  c.name = l.words[3];
  c.len = *n;
  c.origin = origin_of(l);
  std::size_t same_kind = 0;
  for (const Capture& o : p.captures) same_kind += o.request == c.request;
  if (same_kind >= 16) return fail(line_error(l, "at most 16 request and 16 response captures"));
  p.captures.push_back(std::move(c));
  return {};
}

Result<void> parse_log_format_line(Proxy& p, const Line& l) {
  if (l.words.size() != 2) return fail(line_error(l, "expects one format string (quote it)"));
  if (auto f = logging::LogFormat::parse(l.words[1], origin_of(l).where()); !f) return std::unexpected(f.error());
  p.log_format = l.words[1];
  p.log_format_origin = origin_of(l);
  return {};
}

}  // namespace tandem::balancer::config
