#include "balancer/rules/rule_set.h"

#include <fstream>
#include <sstream>

#include "balancer/http/syntax.h"
#include "common/config/units.h"
#include "common/strings.h"

namespace tandem::balancer::rules {

using http::syntax::iequals;

// ---- LogFormat ------------------------------------------------------------

Result<LogFormat> LogFormat::parse(std::string_view text, const Resolver& r, std::string_view where) {
  LogFormat f;
  std::string lit;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      lit.push_back(text[i]);
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '%') {
      lit.push_back('%');
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '[') {
      size_t close = text.find(']', i + 2);
      if (close == std::string_view::npos) return fail(cat(where, ": '%[' without ']' in '", text, "'"));
      auto e = SampleExpr::parse(text.substr(i + 2, close - i - 2), r, where);
      if (!e) return std::unexpected(e.error());
      if (!lit.empty()) f.parts_.push_back({std::move(lit), -1});
      lit.clear();
      f.exprs_.push_back(std::move(*e));
      f.parts_.push_back({"", static_cast<int>(f.exprs_.size() - 1)});
      i = close;
      continue;
    }
    return fail(cat(where, ": only %[sample] and %% are supported in '", text, "'"));
  }
  if (!lit.empty()) f.parts_.push_back({std::move(lit), -1});
  return f;
}

std::string LogFormat::render(EvalContext& ctx) const {
  std::string out;
  for (const Part& p : parts_) {
    if (p.expr < 0) out += p.literal;
    else out += exprs_[static_cast<size_t>(p.expr)].eval(ctx).text(ctx);
  }
  return out;
}

std::optional<std::string> LogFormat::render_if_present(EvalContext& ctx) const {
  std::string out;
  for (const Part& p : parts_) {
    if (p.expr < 0) {
      out += p.literal;
      continue;
    }
    Sample v = exprs_[static_cast<size_t>(p.expr)].eval(ctx);
    if (!v.present()) return std::nullopt;
    out += v.text(ctx);
  }
  return out;
}

namespace {

using Words = std::vector<std::string>;

std::string where_of(const config::Statement& s, std::string_view kw) { return cat(s.origin.where(), ": ", kw); }

bool framing_header(std::string_view name) { return iequals(name, "content-length") || iequals(name, "transfer-encoding"); }

Result<std::string> read_file(const std::string& path, std::string_view where) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(cat(where, ": cannot read '", path, "'"));
  std::ostringstream b;
  b << in.rdbuf();
  return b.str();
}

// `redirect location|prefix|scheme TARGET [code N] [drop-query] [append-slash] [set-cookie N[=V]]`
// from words[i]; advances i past the options.
Result<Redirect> parse_redirect(const Words& w, size_t& i, const Resolver& r, std::string_view where) {
  Redirect rd;
  if (i + 1 >= w.size()) return fail(cat(where, ": expects location|prefix|scheme and a target"));
  const std::string& type = w[i];
  if (type == "location") rd.type = Redirect::Type::location;
  else if (type == "prefix") rd.type = Redirect::Type::prefix;
  else if (type == "scheme") rd.type = Redirect::Type::scheme;
  else return fail(cat(where, ": '", type, "' is not location, prefix or scheme"));
  auto t = LogFormat::parse(w[i + 1], r, where);
  if (!t) return std::unexpected(t.error());
  rd.target = std::move(*t);
  i += 2;
  while (i < w.size() && w[i] != "if" && w[i] != "unless") {
    const std::string& o = w[i];
    if (o == "code") {
      unsigned long long c = 0;
      if (i + 1 >= w.size() || !parse_uint(w[i + 1], c) || (c != 301 && c != 302 && c != 303 && c != 307 && c != 308))
        return fail(cat(where, ": code must be 301, 302, 303, 307 or 308"));
      rd.code = static_cast<int>(c);
      i += 2;
    } else if (o == "drop-query") {
      rd.drop_query = true;
      ++i;
    } else if (o == "append-slash") {
      rd.append_slash = true;
      ++i;
    } else if (o == "set-cookie" || o == "clear-cookie") {
      if (i + 1 >= w.size()) return fail(cat(where, ": ", o, " needs a cookie"));
      std::string c = w[i + 1];
      size_t eq = c.find('=');
      rd.set_cookie.emplace_back(c.substr(0, eq), o == "clear-cookie" ? std::string("\x01") : eq == std::string::npos ? "" : c.substr(eq + 1));
      i += 2;
    } else {
      return fail(cat(where, ": unknown redirect option '", o, "'"));
    }
  }
  return rd;
}

Result<std::optional<Condition>> parse_cond(const Words& w, size_t i, const AclSet& acls, const Resolver& r,
                                            std::string_view where, std::vector<std::string>* warnings) {
  if (i >= w.size()) return std::optional<Condition>();
  if (w[i] != "if" && w[i] != "unless") return fail(cat(where, ": unexpected '", w[i], "' (expected if or unless)"));
  auto c = Condition::parse(w, i + 1, w[i] == "unless", acls, r, where, warnings);
  if (!c) return std::unexpected(c.error());
  return std::optional<Condition>(std::move(*c));
}

// Parses "track-sc0 KEY [table T]", "sc-inc-gpc0(0)"... : the stick actions,
// shared by http-request and tcp-request.
bool is_track(std::string_view a, int& counter) {
  if (a.size() == 9 && a.starts_with("track-sc") && a[8] >= '0' && a[8] <= '2') {
    counter = a[8] - '0';
    return true;
  }
  return false;
}

Result<void> parse_track(const Words& w, size_t& i, int& counter, std::shared_ptr<const SampleExpr>& key,
                         const void*& table, const Resolver& r, std::string_view where) {
  if (i + 1 >= w.size()) return fail(cat(where, ": track-sc", counter, " needs a key (e.g. src)"));
  auto k = SampleExpr::parse(w[i + 1], r, where);
  if (!k) return std::unexpected(k.error());
  key = std::make_shared<const SampleExpr>(std::move(*k));
  i += 2;
  table = r.own_table;
  if (i + 1 < w.size() && w[i] == "table") {
    table = r.table ? r.table(w[i + 1]) : nullptr;
    if (!table) return fail(cat(where, ": no stick-table named '", w[i + 1], "'"));
    i += 2;
  }
  if (!table) return fail(cat(where, ": track-sc", counter, ": this proxy has no stick-table; name one with 'table'"));
  return {};
}

// sc-inc-gpc0(N), sc-inc-gpc1(N), sc-clr-gpc0(N)...
bool parse_sc_gpc(std::string_view a, bool& inc, int& gpc, int& counter) {
  std::string_view rest;
  if (a.starts_with("sc-inc-gpc")) {
    inc = true;
    rest = a.substr(10);
  } else if (a.starts_with("sc-clr-gpc")) {
    inc = false;
    rest = a.substr(10);
  } else {
    return false;
  }
  if (rest.size() != 4 || (rest[0] != '0' && rest[0] != '1') || rest[1] != '(' || rest[2] < '0' || rest[2] > '2' ||
      rest[3] != ')')
    return false;
  gpc = rest[0] - '0';
  counter = rest[2] - '0';
  return true;
}

Result<HttpAction> parse_http_action(const config::Statement& st, bool response, const AclSet& acls, const Resolver& r,
                                     std::vector<std::string>* warnings) {
  const Words& w = st.words;
  std::string kw = response ? "http-response" : "http-request";
  if (w.size() < 2) return fail(cat(where_of(st, kw), ": expects an action"));
  const std::string& a = w[1];
  std::string where = where_of(st, cat(kw, ' ', a));
  HttpAction act;
  act.origin = st.origin;
  size_t i = 2;
  using K = HttpAction::Kind;
  auto value = [&](size_t at) -> Result<LogFormat> {
    if (at >= w.size()) return fail(cat(where, ": missing value"));
    return LogFormat::parse(w[at], r, where);
  };
  auto header_name = [&](size_t at) -> Result<std::string> {
    if (at >= w.size() || w[at].empty() || !http::syntax::is_token(w[at])) return fail(cat(where, ": expects a header name"));
    if (framing_header(w[at]))
      return fail(cat(where, ": '", w[at], "' cannot be rewritten: it frames the message"));
    return w[at];
  };
  int counter = 0;
  bool inc = false;
  if (a == "allow") {
    act.kind = K::allow;
  } else if (a == "deny" || a == "tarpit") {
    act.kind = a == "deny" ? K::deny : K::tarpit;
    act.status = a == "deny" ? (response ? 502 : 403) : 500;
    while (i < w.size() && w[i] != "if" && w[i] != "unless") {
      if (w[i] == "deny_status" && i + 1 < w.size()) {
        unsigned long long s = 0;
        if (!parse_uint(w[i + 1], s) || s < 200 || s > 599) return fail(cat(where, ": deny_status must be in 200..599"));
        act.status = static_cast<int>(s);
        i += 2;
      } else {
        return fail(cat(where, ": unknown option '", w[i], "'"));
      }
    }
  } else if (a == "auth" && !response) {
    act.kind = K::auth;  // an empty realm means the proxy's name, as HAProxy
    if (i + 1 < w.size() && w[i] == "realm") {
      act.name = w[i + 1];
      i += 2;
    }
  } else if (a == "redirect" && !response) {
    act.kind = K::redirect;
    auto rd = parse_redirect(w, i, r, where);
    if (!rd) return std::unexpected(rd.error());
    act.redirect = std::move(*rd);
  } else if (a == "set-header" || a == "add-header") {
    act.kind = a == "set-header" ? K::set_header : K::add_header;
    auto n = header_name(i);
    if (!n) return std::unexpected(n.error());
    act.name = *n;
    auto v = value(i + 1);
    if (!v) return std::unexpected(v.error());
    act.value = std::move(*v);
    i += 2;
  } else if (a == "del-header") {
    act.kind = K::del_header;
    auto n = header_name(i);
    if (!n) return std::unexpected(n.error());
    act.name = *n;
    i += 1;
  } else if (a == "replace-header" || a == "replace-value") {
    act.kind = a == "replace-header" ? K::replace_header : K::replace_value;
    auto n = header_name(i);
    if (!n) return std::unexpected(n.error());
    act.name = *n;
    if (i + 2 >= w.size()) return fail(cat(where, ": expects NAME REGEX REPLACEMENT"));
    try {
      act.re.emplace(w[i + 1], std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return fail(cat(where, ": invalid regex '", w[i + 1], "': ", e.what()));
    }
    // HAProxy writes back-references as \1; std::regex wants $1.
    std::string rep;
    for (size_t k = 0; k < w[i + 2].size(); ++k) {
      char c = w[i + 2][k];
      if (c == '\\' && k + 1 < w[i + 2].size() && w[i + 2][k + 1] >= '0' && w[i + 2][k + 1] <= '9') {
        rep.push_back('$');
        rep.push_back(w[i + 2][++k]);
      } else if (c == '$') {
        rep += "$$";
      } else {
        rep.push_back(c);
      }
    }
    act.replacement = rep;
    i += 3;
  } else if ((a == "set-path" || a == "set-query" || a == "set-uri") && !response) {
    act.kind = a == "set-path" ? K::set_path : a == "set-query" ? K::set_query : K::set_uri;
    auto v = value(i);
    if (!v) return std::unexpected(v.error());
    act.value = std::move(*v);
    i += 1;
  } else if (a == "set-status" && response) {
    act.kind = K::set_status;
    unsigned long long s = 0;
    if (i >= w.size() || !parse_uint(w[i], s) || s < 100 || s > 999) return fail(cat(where, ": expects a status code"));
    act.status = static_cast<int>(s);
    i += 1;
    if (i + 1 < w.size() && w[i] == "reason") {
      act.reason = w[i + 1];
      i += 2;
    }
  } else if (a == "return" && !response) {
    act.kind = K::return_;
    act.status = 200;
    while (i < w.size() && w[i] != "if" && w[i] != "unless") {
      const std::string& o = w[i];
      if (i + 1 >= w.size()) return fail(cat(where, ": '", o, "' expects a value"));
      if (o == "status") {
        unsigned long long s = 0;
        if (!parse_uint(w[i + 1], s) || s < 200 || s > 599) return fail(cat(where, ": status must be in 200..599"));
        act.status = static_cast<int>(s);
      } else if (o == "content-type") {
        act.content_type = w[i + 1];
      } else if (o == "string") {
        act.body = w[i + 1];
      } else if (o == "file") {
        auto b = read_file(w[i + 1], where);
        if (!b) return std::unexpected(b.error());
        act.body = *b;
      } else {
        return fail(cat(where, ": unknown option '", o, "' (status, content-type, string, file)"));
      }
      i += 2;
    }
    if (!act.body.empty() && act.content_type.empty()) return fail(cat(where, ": a body needs a content-type"));
  } else if (a.starts_with("set-var(") && a.back() == ')') {
    act.kind = K::set_var;
    act.name = a.substr(8, a.size() - 9);
    if (act.name.empty()) return fail(cat(where, ": set-var needs a variable name"));
    if (i >= w.size()) return fail(cat(where, ": set-var needs an expression"));
    auto e = LogFormat::parse(cat("%[", w[i], "]"), r, where);
    if (!e) return std::unexpected(e.error());
    act.value = std::move(*e);
    i += 1;
  } else if (is_track(a, counter) && !response) {
    act.kind = K::track_sc;
    act.counter = counter;
    --i;  // parse_track expects the action's index
    if (auto res = parse_track(w, i, act.counter, act.key, act.table, r, where); !res) return std::unexpected(res.error());
  } else if (parse_sc_gpc(a, inc, act.gpc, act.counter)) {
    act.kind = inc ? K::sc_inc_gpc : K::sc_clr_gpc;
  } else if (a == "use-service") {
    // Services the balancer answers itself (balancer/stats).
    if (i >= w.size()) return fail(cat(where, ": use-service expects a service name"));
    if (response) return fail(cat(where, ": use-service is an http-request action"));
    if (w[i] != "prometheus-exporter")
      return fail(cat(where, ": unknown service '", w[i], "' (available: prometheus-exporter)"));
    act.kind = K::use_service;
    act.name = w[i];
    i += 1;
  } else {
    return fail(cat(where_of(st, kw), ": unknown action '", a, "'"));
  }
  auto cond = parse_cond(w, i, acls, r, where, warnings);
  if (!cond) return std::unexpected(cond.error());
  act.cond = std::move(*cond);
  if (act.cond && response && (act.cond->needs() & kNeedRequest)) {
    // Allowed: the request is still known when the response comes.
  }
  if (act.cond && !response && (act.cond->needs() & kNeedResponse))
    return fail(cat(where, ": the condition reads the response, which an http-request rule cannot see"));
  return act;
}

Result<TcpAction> parse_tcp_action(const config::Statement& st, bool& content, config::Millis& inspect_delay, bool& is_delay,
                                   const AclSet& acls, const Resolver& r, std::vector<std::string>* warnings) {
  const Words& w = st.words;
  is_delay = false;
  if (w.size() < 3) return fail(cat(where_of(st, "tcp-request"), ": expects connection|content|inspect-delay ..."));
  if (w[1] == "inspect-delay") {
    if (w.size() != 3) return fail(cat(where_of(st, "tcp-request inspect-delay"), ": expects a time"));
    auto t = tandem::config::parse_time_ms(w[2]);
    if (!t) return fail(cat(where_of(st, "tcp-request inspect-delay"), ": ", t.error().message));
    inspect_delay = *t;
    is_delay = true;
    return TcpAction{};
  }
  if (w[1] != "connection" && w[1] != "content" && w[1] != "session")
    return fail(cat(where_of(st, "tcp-request"), ": '", w[1], "' is not connection, session, content or inspect-delay"));
  content = w[1] == "content";
  std::string where = where_of(st, cat("tcp-request ", w[1], ' ', w[2]));
  TcpAction act;
  act.origin = st.origin;
  size_t i = 3;
  int counter = 0;
  if (w[2] == "accept") act.kind = TcpAction::Kind::accept;
  else if (w[2] == "reject") act.kind = TcpAction::Kind::reject;
  else if (is_track(w[2], counter)) {
    act.kind = TcpAction::Kind::track_sc;
    act.counter = counter;
    i = 2;
    if (auto res = parse_track(w, i, act.counter, act.key, act.table, r, where); !res) return std::unexpected(res.error());
  } else {
    return fail(cat(where, ": unknown action (accept, reject, track-sc0..2)"));
  }
  auto cond = parse_cond(w, i, acls, r, where, warnings);
  if (!cond) return std::unexpected(cond.error());
  act.cond = std::move(*cond);
  unsigned needs = (act.cond ? act.cond->needs() : 0) | (act.key ? act.key->needs() : 0);
  if (!content && (needs & (kNeedRequest | kNeedResponse | kNeedContent)))
    return fail(cat(where, ": a connection rule cannot read the request (use tcp-request content or http-request)"));
  return act;
}

Result<StickRule> parse_stick_rule(const config::Statement& st, const config::Proxy& p, const AclSet& acls,
                                   const Resolver& r, std::vector<std::string>* warnings) {
  const Words& w = st.words;
  if (w.size() < 3) return fail(cat(where_of(st, "stick"), ": expects on|match|store-request|store-response and a sample"));
  std::string where = where_of(st, cat("stick ", w[1]));
  StickRule sr;
  sr.origin = st.origin;
  using K = StickRule::Kind;
  if (w[1] == "on") sr.kind = K::on;
  else if (w[1] == "match") sr.kind = K::match;
  else if (w[1] == "store-request") sr.kind = K::store_request;
  else if (w[1] == "store-response") sr.kind = K::store_response;
  else return fail(cat(where_of(st, "stick"), ": '", w[1], "' is not on, match, store-request or store-response"));
  if (sr.kind == K::store_response && p.mode != config::Mode::http)
    return fail(cat(where, ": needs mode http (", p.name, " is in tcp mode)"));
  auto k = SampleExpr::parse(w[2], r, where);
  if (!k) return std::unexpected(k.error());
  sr.key = std::make_shared<const SampleExpr>(std::move(*k));
  size_t i = 3;
  sr.table = r.own_table;
  if (i < w.size() && w[i] == "table") {
    if (i + 1 >= w.size()) return fail(cat(where, ": 'table' expects a table name"));
    sr.table = r.table ? r.table(w[i + 1]) : nullptr;
    if (!sr.table) return fail(cat(where, ": no stick-table named '", w[i + 1], "'"));
    i += 2;
  }
  if (!sr.table) return fail(cat(where, ": this backend has no stick-table; name one with 'table'"));
  auto cond = parse_cond(w, i, acls, r, where, warnings);
  if (!cond) return std::unexpected(cond.error());
  sr.cond = std::move(*cond);
  unsigned needs = sr.key->needs() | (sr.cond ? sr.cond->needs() : 0);
  if (sr.kind != K::store_response && (needs & kNeedResponse))
    return fail(cat(where, ": reads the response, which only 'stick store-response' can"));
  if ((needs & kNeedRequest) && p.mode != config::Mode::http)
    return fail(cat(where, ": reads an HTTP request, which a tcp-mode backend does not parse"));
  return sr;
}

}  // namespace

std::string stick_rule_table_name(const config::Statement& st) {
  for (size_t i = 3; i + 1 < st.words.size(); ++i) {
    if (st.words[i] == "if" || st.words[i] == "unless") break;
    if (st.words[i] == "table") return st.words[i + 1];
  }
  return {};
}

Result<std::shared_ptr<RuleSet>> RuleSet::compile(const config::Proxy& p, const Resolver& r,
                                                  std::function<runtime::Backend*(std::string_view)> resolve_backend,
                                                  std::vector<std::string>* warnings) {
  auto rs = std::make_shared<RuleSet>();
  for (const config::Statement& st : p.rules) {
    const Words& w = st.words;
    const std::string& k = w[0];
    rs->empty_ = false;
    if (k == "acl") {
      if (w.size() < 3) return fail(cat(where_of(st, "acl"), ": expects NAME CRITERION [PATTERN...]"));
      std::string where = where_of(st, cat("acl ", w[1]));
      auto acl = Acl::compile(Words(w.begin() + 2, w.end()), r, where, warnings);
      if (!acl) return std::unexpected(acl.error());
      (void)rs->acls_.add(w[1], *acl);
    } else if (k == "http-request" || k == "http-response") {
      if (p.mode != config::Mode::http)
        return fail(cat(where_of(st, k), ": needs mode http (", p.name, " is in tcp mode)"));
      auto a = parse_http_action(st, k == "http-response", rs->acls_, r, warnings);
      if (!a) return std::unexpected(a.error());
      (k == "http-request" ? rs->http_request_ : rs->http_response_).push_back(std::move(*a));
    } else if (k == "tcp-request") {
      bool content = false, is_delay = false;
      auto a = parse_tcp_action(st, content, rs->inspect_delay_, is_delay, rs->acls_, r, warnings);
      if (!a) return std::unexpected(a.error());
      if (!is_delay) (content ? rs->tcp_content_ : rs->tcp_connection_).push_back(std::move(*a));
    } else if (k == "use_backend") {
      if (w.size() < 2) return fail(cat(where_of(st, "use_backend"), ": expects a backend name"));
      SwitchRule sr;
      sr.origin = st.origin;
      std::string where = where_of(st, "use_backend");
      if (w[1].find("%[") != std::string::npos) {
        auto f = LogFormat::parse(w[1], r, where);
        if (!f) return std::unexpected(f.error());
        sr.dynamic = std::move(*f);
        sr.is_dynamic = true;
      } else {
        sr.backend = resolve_backend(w[1]);
        if (!sr.backend) return fail(cat(where, ": no backend named '", w[1], "'"));
      }
      auto cond = parse_cond(w, 2, rs->acls_, r, where, warnings);
      if (!cond) return std::unexpected(cond.error());
      sr.cond = std::move(*cond);
      rs->switching_.push_back(std::move(sr));
    } else if (k == "redirect") {
      RedirectRule rr;
      rr.origin = st.origin;
      size_t i = 1;
      std::string where = where_of(st, "redirect");
      auto rd = parse_redirect(w, i, r, where);
      if (!rd) return std::unexpected(rd.error());
      rr.redirect = std::move(*rd);
      auto cond = parse_cond(w, i, rs->acls_, r, where, warnings);
      if (!cond) return std::unexpected(cond.error());
      rr.cond = std::move(*cond);
      rs->redirects_.push_back(std::move(rr));
    } else if (k == "stats" && w.size() >= 2 && w[1] == "admin") {
      std::string where = where_of(st, "stats admin");
      auto c = Condition::parse(w, 3, w[2] == "unless", rs->acls_, r, where, warnings);
      if (!c) return std::unexpected(c.error());
      rs->stats_admin_.push_back(std::move(*c));
    } else if (k == "stats" && w.size() >= 3 && w[1] == "http-request") {
      std::string where = where_of(st, "stats http-request");
      StatsAccessRule sr;
      sr.verdict = w[2] == "deny" ? StatsAccess::Verdict::deny
                   : w[2] == "auth" ? StatsAccess::Verdict::auth
                                    : StatsAccess::Verdict::allow;
      size_t i = 3;
      if (w[2] == "auth" && i + 1 < w.size() && w[i] == "realm") {
        sr.realm = w[i + 1];
        i += 2;
      }
      auto cond = parse_cond(w, i, rs->acls_, r, where, warnings);
      if (!cond) return std::unexpected(cond.error());
      sr.cond = std::move(*cond);
      rs->stats_access_.push_back(std::move(sr));
    } else if (k == "monitor") {
      std::string where = where_of(st, "monitor");
      if (w.size() < 4 || w[1] != "fail" || (w[2] != "if" && w[2] != "unless"))
        return fail(cat(where, ": expects 'monitor fail if|unless CONDITION'"));
      auto c = Condition::parse(w, 3, w[2] == "unless", rs->acls_, r, where, warnings);
      if (!c) return std::unexpected(c.error());
      if (c->needs() & (kNeedRequest | kNeedResponse | kNeedContent))
        return fail(cat(where, ": the condition must not depend on a request (it decides the node's readiness)"));
      rs->monitor_fail_.push_back(std::move(*c));
    } else if (k == "stick") {
      auto sr = parse_stick_rule(st, p, rs->acls_, r, warnings);
      if (!sr) return std::unexpected(sr.error());
      rs->stick_.push_back(std::move(*sr));
    } else {
      // Keywords another part of the balancer compiles (cookie...).
    }
  }
  return rs;
}

namespace {

RuleSet::TcpVerdict run_tcp_rules(const std::vector<TcpAction>& rules, EvalContext& ctx, StickHooks* sticks) {
  for (const TcpAction& a : rules) {
    if (a.cond) {
      Tri t = a.cond->eval3(ctx);
      if (t == Tri::miss) return RuleSet::TcpVerdict::wait;
      if (t == Tri::fail) continue;
    }
    switch (a.kind) {
      case TcpAction::Kind::accept: return RuleSet::TcpVerdict::accept;
      case TcpAction::Kind::reject: return RuleSet::TcpVerdict::reject;
      case TcpAction::Kind::track_sc:
        if (sticks && !ctx.sc[static_cast<size_t>(a.counter)]) sticks->track(ctx, a.counter, *a.key, a.table, false);
        break;
    }
  }
  return RuleSet::TcpVerdict::accept;
}

}  // namespace

bool RuleSet::run_tcp(EvalContext& ctx, bool content, StickHooks* sticks) const {
  // Decided at once: a condition still undecided here is evaluated as final.
  const bool was_final = ctx.content_final;
  ctx.content_final = true;
  TcpVerdict v = run_tcp_rules(content ? tcp_content_ : tcp_connection_, ctx, sticks);
  ctx.content_final = was_final;
  return v != TcpVerdict::reject;
}

RuleSet::TcpVerdict RuleSet::run_tcp_content(EvalContext& ctx, StickHooks* sticks) const {
  return run_tcp_rules(tcp_content_, ctx, sticks);
}

namespace {

void erase_headers(std::vector<http::Header>& hs, std::string_view name) {
  std::erase_if(hs, [&](const http::Header& h) { return iequals(h.name, name); });
}

void apply_header_action(const HttpAction& a, std::vector<http::Header>& hs, EvalContext& ctx) {
  using K = HttpAction::Kind;
  switch (a.kind) {
    case K::set_header:
    case K::add_header: {
      std::string_view v = ctx.keep(a.value.render(ctx));
      if (a.kind == K::set_header) erase_headers(hs, a.name);
      hs.push_back(http::Header{a.name, v});
      break;
    }
    case K::del_header:
      erase_headers(hs, a.name);
      break;
    case K::replace_header:
    case K::replace_value:
      for (auto& h : hs) {
        if (!iequals(h.name, a.name)) continue;
        if (a.kind == K::replace_header) {
          h.value = ctx.keep(std::regex_replace(std::string(h.value), *a.re, a.replacement,
                                                std::regex_constants::format_first_only));
        } else {
          std::vector<std::string> parts;
          http::syntax::for_each_list_item(h.value, [&](std::string_view v) {
            parts.push_back(std::regex_replace(std::string(v), *a.re, a.replacement, std::regex_constants::format_first_only));
          });
          h.value = ctx.keep(join(parts, ", "));
        }
      }
      break;
    default:
      break;
  }
}

}  // namespace

HttpVerdict RuleSet::run_http_request(EvalContext& ctx, http::RequestHead& req, StickHooks* sticks) const {
  using K = HttpAction::Kind;
  for (const HttpAction& a : http_request_) {
    if (a.cond && !a.cond->eval(ctx)) continue;
    HttpVerdict v;
    v.action = &a;
    switch (a.kind) {
      case K::allow:
        v.kind = HttpVerdict::Kind::allow;
        return v;
      case K::deny:
      case K::tarpit:
        v.kind = a.kind == K::deny ? HttpVerdict::Kind::deny : HttpVerdict::Kind::tarpit;
        v.status = a.status;
        return v;
      case K::auth:
        v.kind = HttpVerdict::Kind::auth;
        v.realm = a.name;
        return v;
      case K::redirect:
        v.kind = HttpVerdict::Kind::redirect;
        v.status = a.redirect.code;
        v.location = redirect_location(a.redirect, ctx);
        return v;
      case K::return_:
        v.kind = HttpVerdict::Kind::return_;
        v.status = a.status;
        v.content_type = a.content_type;
        v.body = a.body;
        return v;
      case K::use_service:
        v.kind = HttpVerdict::Kind::service;
        return v;
      case K::set_path:
      case K::set_query:
      case K::set_uri: {
        std::string t(req.target);
        std::string value = a.value.render(ctx);
        size_t q = t.find('?');
        if (a.kind == K::set_uri) t = value;
        else if (a.kind == K::set_path) t = value + (q == std::string::npos ? "" : t.substr(q));
        else t = t.substr(0, q) + (value.empty() ? "" : "?" + value);
        req.target = ctx.keep(std::move(t));
        break;
      }
      case K::set_var:
        // A fetch that finds nothing leaves the variable unset (HAProxy's
        // var() then finds nothing either, rather than an empty string).
        if (auto v = a.value.render_if_present(ctx)) ctx.vars.emplace_back(a.name, std::move(*v));
        break;
      case K::track_sc:
        if (sticks && !ctx.sc[static_cast<size_t>(a.counter)]) sticks->track(ctx, a.counter, *a.key, a.table, true);
        break;
      case K::sc_inc_gpc:
        if (sticks) sticks->inc_gpc(ctx, a.counter, a.gpc);
        break;
      case K::sc_clr_gpc:
        if (sticks) sticks->clr_gpc(ctx, a.counter, a.gpc);
        break;
      default:
        apply_header_action(a, req.headers, ctx);
        if (iequals(a.name, "host")) {
          const http::Header* h = req.find("host");
          req.host = h ? h->value : std::string_view();
        }
        break;
    }
  }
  return HttpVerdict{};
}

std::optional<HttpVerdict> RuleSet::run_redirects(EvalContext& ctx) const {
  for (const RedirectRule& r : redirects_) {
    if (r.cond && !r.cond->eval(ctx)) continue;
    HttpVerdict v;
    v.kind = HttpVerdict::Kind::redirect;
    v.status = r.redirect.code;
    v.location = redirect_location(r.redirect, ctx);
    return v;
  }
  return std::nullopt;
}

runtime::Backend* RuleSet::route(EvalContext& ctx, std::function<runtime::Backend*(std::string_view)> lookup) const {
  for (const SwitchRule& r : switching_) {
    if (r.cond && !r.cond->eval(ctx)) continue;
    if (!r.is_dynamic) return r.backend;
    if (runtime::Backend* b = lookup(r.dynamic.render(ctx))) return b;  // an unknown name falls through, as HAProxy
  }
  return nullptr;
}

HttpVerdict RuleSet::run_http_response(EvalContext& ctx, http::ResponseHead& resp, StickHooks*) const {
  using K = HttpAction::Kind;
  for (const HttpAction& a : http_response_) {
    if (a.cond && !a.cond->eval(ctx)) continue;
    HttpVerdict v;
    v.action = &a;
    switch (a.kind) {
      case K::allow:
        v.kind = HttpVerdict::Kind::allow;
        return v;
      case K::deny:
        v.kind = HttpVerdict::Kind::deny;
        v.status = a.status;
        return v;
      case K::set_status:
        resp.status = a.status;
        resp.reason = a.reason.empty() ? std::string_view() : std::string_view(a.reason);
        break;
      case K::set_var:
        // A fetch that finds nothing leaves the variable unset (HAProxy's
        // var() then finds nothing either, rather than an empty string).
        if (auto v = a.value.render_if_present(ctx)) ctx.vars.emplace_back(a.name, std::move(*v));
        break;
      default:
        apply_header_action(a, resp.headers, ctx);
        break;
    }
  }
  return HttpVerdict{};
}

bool RuleSet::stats_admin_allowed(EvalContext& ctx) const {
  for (const Condition& c : stats_admin_)
    if (c.eval(ctx)) return true;
  return false;
}

RuleSet::StatsAccess RuleSet::stats_access(EvalContext& ctx) const {
  for (const StatsAccessRule& r : stats_access_)
    if (!r.cond || r.cond->eval(ctx)) return StatsAccess{r.verdict, r.realm};
  return {};
}

bool RuleSet::monitor_fails(EvalContext& ctx) const {
  for (const Condition& c : monitor_fail_)
    if (c.eval(ctx)) return true;
  return false;
}

std::string redirect_location(const Redirect& r, EvalContext& ctx) {
  std::string target = r.target.render(ctx);
  const http::RequestHead* req = ctx.req;
  std::string_view uri = req ? req->target : std::string_view("/");
  if (uri.starts_with("http://") || uri.starts_with("https://")) {
    size_t slash = uri.find('/', uri.find("//") + 2);
    uri = slash == std::string_view::npos ? std::string_view("/") : uri.substr(slash);
  }
  std::string path(uri.substr(0, uri.find('?')));
  std::string query = uri.find('?') == std::string_view::npos ? "" : std::string(uri.substr(uri.find('?')));
  if (r.append_slash && !path.ends_with('/')) path += '/';
  if (r.drop_query) query.clear();
  switch (r.type) {
    case Redirect::Type::location:
      return target;
    case Redirect::Type::prefix:
      if (target == "/") target.clear();
      return target + path + query;
    case Redirect::Type::scheme: {
      std::string host = req ? std::string(req->host) : std::string();
      // The port of the old scheme means nothing on the new one.
      if (size_t c = host.rfind(':'); c != std::string::npos && host.find(']') == std::string::npos) host.erase(c);
      return target + "://" + host + path + query;
    }
  }
  return target;
}

}  // namespace tandem::balancer::rules
