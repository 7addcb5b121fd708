#include "balancer/config/parse_proxy.h"

#include <fstream>
#include <sstream>

#include "balancer/config/parse_bind.h"
#include "balancer/config/parse_check.h"
#include "balancer/config/parse_global.h"
#include "balancer/config/parse_server.h"
#include "balancer/config/parse_stats.h"
#include "balancer/stick/stick_table_parser.h"
#include "common/net_address.h"
#include "common/strings.h"

namespace tandem::balancer::config {

namespace {

bool http_token(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    unsigned char u = static_cast<unsigned char>(ch);
    if (u <= 0x20 || u >= 0x7f || std::string_view("()<>@,;:\\\"/[]?={}").find(ch) != std::string_view::npos) return false;
  }
  return true;
}

struct Ctx {
  Proxy& p;
  unsigned caps;
  std::string_view section;
  const Line& l;
};

using Handler = Result<void> (*)(Ctx&);

struct Keyword {
  std::string_view name;
  unsigned caps;  // where it is allowed
  Handler fn;
};

constexpr unsigned kAll = kCapFrontend | kCapBackend | kCapDefaults;
constexpr unsigned kFe = kCapFrontend | kCapDefaults;
constexpr unsigned kBe = kCapBackend | kCapDefaults;

Result<void> kw_mode(Ctx& c) {
  if (auto r = expect_args(c.l, 1, 1, "'tcp' or 'http'"); !r) return r;
  const std::string& m = c.l.words[1];
  if (m == "http") c.p.mode = Mode::http;
  else if (m == "tcp") c.p.mode = Mode::tcp;
  else if (m == "health") return fail(line_error(c.l, "'health' mode is not supported (use monitor-uri)"));
  else return fail(line_error(c.l, cat("'", m, "' is not 'tcp' or 'http'")));
  return {};
}

Result<void> kw_bind(Ctx& c) {
  auto binds = parse_bind_line(c.l);
  if (!binds) return std::unexpected(binds.error());
  c.p.binds.insert(c.p.binds.end(), binds->begin(), binds->end());
  return {};
}

Result<void> kw_default_backend(Ctx& c) {
  if (auto r = expect_args(c.l, 1, 1, "a backend name"); !r) return r;
  c.p.default_backend = c.l.words[1];
  return {};
}

Result<void> kw_maxconn(Ctx& c) {
  if (auto r = expect_args(c.l, 1, 1, "a number"); !r) return r;
  auto v = arg_u32(c.l, 1, "maxconn", 0, 10'000'000);
  if (!v) return std::unexpected(v.error());
  c.p.maxconn = *v;
  return {};
}

Result<void> kw_backlog(Ctx& c) {
  if (auto r = expect_args(c.l, 1, 1, "a number"); !r) return r;
  auto v = arg_u32(c.l, 1, "backlog", 1, 1'000'000);
  if (!v) return std::unexpected(v.error());
  c.p.backlog = *v;
  return {};
}

Result<void> kw_fullconn(Ctx& c) {
  if (auto r = expect_args(c.l, 1, 1, "a number"); !r) return r;
  auto v = arg_u32(c.l, 1, "fullconn", 1, 10'000'000);
  if (!v) return std::unexpected(v.error());
  c.p.fullconn = *v;
  return {};
}

Result<void> kw_retries(Ctx& c) {
  if (auto r = expect_args(c.l, 1, 1, "a number"); !r) return r;
  auto v = arg_u32(c.l, 1, "retries", 0, 1000);
  if (!v) return std::unexpected(v.error());
  c.p.retries = *v;
  return {};
}

Result<void> kw_timeout(Ctx& c) {
  const Line& l = c.l;
  if (l.words.size() != 3) return fail(line_error(l, "expects a name and a time (e.g. timeout client 30s)"));
  const std::string& n = l.words[1];
  std::string kw = cat("timeout ", n);
  struct Entry {
    std::string_view name;
    unsigned caps;
    std::optional<Millis> Timeouts::*field;
  };
  static constexpr Entry entries[] = {
      {"connect", kBe, &Timeouts::connect},          {"client", kFe, &Timeouts::client},
      {"server", kBe, &Timeouts::server},            {"http-request", kAll, &Timeouts::http_request},
      {"http-keep-alive", kAll, &Timeouts::http_keep_alive}, {"queue", kBe, &Timeouts::queue},
      {"tunnel", kBe, &Timeouts::tunnel},            {"client-fin", kFe, &Timeouts::client_fin},
      {"server-fin", kBe, &Timeouts::server_fin},    {"check", kBe, &Timeouts::check},
      {"tarpit", kAll, &Timeouts::tarpit},
  };
  for (const Entry& e : entries) {
    if (e.name != n) continue;
    if (!(e.caps & c.caps))
      return fail(keyword_error(l, kw, cat("not allowed in ", c.section, " (no ",
                                           (e.caps & kCapFrontend) ? "frontend" : "backend", " capability)")));
    auto t = arg_time(l, 2, kw);
    if (!t) return std::unexpected(t.error());
    c.p.timeouts.*e.field = *t;
    return {};
  }
  return fail(keyword_error(l, kw, "unknown timeout"));
}

Result<void> kw_log(Ctx& c) {
  if (c.l.words.size() == 2 && c.l.words[1] == "global") {
    c.p.log_global = true;
    return {};
  }
  auto t = parse_log_target(c.l);
  if (!t) return std::unexpected(t.error());
  c.p.logs.push_back(*t);
  return {};
}

Result<void> kw_log_tag(Ctx& c) {
  if (auto r = expect_args(c.l, 1, 1, "a tag"); !r) return r;
  c.p.log_tag = c.l.words[1];
  return {};
}

Result<void> kw_errorfile(Ctx& c) {
  if (auto r = expect_args(c.l, 1, 2, "a status code and a file"); !r) return r;
  static constexpr int allowed[] = {200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504};
  auto code = arg_u32(c.l, 1, "errorfile", 100, 599);
  if (!code) return std::unexpected(code.error());
  bool ok = false;
  for (int a : allowed) ok |= a == static_cast<int>(*code);
  if (!ok) return fail(line_error(c.l, cat("status ", *code, " cannot be customised")));
  ErrorFile e;
  e.status = static_cast<int>(*code);
  e.path = c.l.words[2];
  std::ifstream in(e.path, std::ios::binary);
  if (!in) return fail(line_error(c.l, cat("cannot read '", e.path, "'")));
  std::ostringstream buf;
  buf << in.rdbuf();
  e.content = buf.str();
  if (e.content.size() > 65536) return fail(line_error(c.l, cat("'", e.path, "' is larger than 64 kB")));
  if (!e.content.starts_with("HTTP/1."))
    return fail(line_error(c.l, cat("'", e.path, "' is not an HTTP response (it must start with the status line)")));
  c.p.errorfiles[e.status] = std::move(e);
  return {};
}

Result<void> kw_default_server(Ctx& c) { return parse_server_params(c.p.default_server, c.l, 1, true, nullptr); }

Result<void> kw_server(Ctx& c) {
  auto s = parse_server_line(c.l, c.p.default_server);
  if (!s) return std::unexpected(s.error());
  for (const Server& other : c.p.servers)
    if (other.name == s->name)
      return fail(line_error(c.l, cat("'", s->name, "' is already declared at ", other.origin.where())));
  c.p.servers.push_back(std::move(*s));
  return {};
}

Result<void> kw_balance(Ctx& c) {
  const Line& l = c.l;
  if (l.words.size() < 2) return fail(line_error(l, "expects an algorithm"));
  BalanceSpec& b = c.p.balance;
  BalanceSpec fresh;
  fresh.hash_type = b.hash_type;
  fresh.hash_function = b.hash_function;
  fresh.hash_avalanche = b.hash_avalanche;
  const std::string& a = l.words[1];
  fresh.text = a;
  size_t used = 2;
  if (a == "roundrobin") fresh.algorithm = Balance::roundrobin;
  else if (a == "static-rr") fresh.algorithm = Balance::static_rr;
  else if (a == "leastconn") fresh.algorithm = Balance::leastconn;
  else if (a == "first") fresh.algorithm = Balance::first;
  else if (a == "source") fresh.algorithm = Balance::source;
  else if (a == "random" || a.starts_with("random(")) {
    fresh.algorithm = Balance::random;
    if (a != "random") {
      if (!a.ends_with(")")) return fail(line_error(l, cat("'", a, "': expects random(N)")));
      unsigned long long n = 0;
      if (!parse_uint(std::string_view(a).substr(7, a.size() - 8), n) || n < 1 || n > 100)
        return fail(line_error(l, cat("'", a, "': N must be in 1..100")));
      fresh.random_draws = static_cast<std::uint32_t>(n);
    }
  } else if (a == "uri") {
    fresh.algorithm = Balance::uri;
    while (used < l.words.size()) {
      const std::string& o = l.words[used];
      if (o == "len" || o == "depth") {
        auto v = arg_u32(l, used + 1, cat("balance uri ", o), 1, 1'000'000);
        if (!v) return std::unexpected(v.error());
        (o == "len" ? fresh.uri_len : fresh.uri_depth) = *v;
        used += 2;
      } else if (o == "whole") {
        fresh.uri_whole = true;
        ++used;
      } else {
        break;
      }
    }
  } else if (a == "url_param") {
    fresh.algorithm = Balance::url_param;
    if (l.words.size() < 3) return fail(line_error(l, "url_param expects a parameter name"));
    fresh.param = l.words[2];
    used = 3;
  } else if (a.starts_with("hdr(") && a.ends_with(")") && a.size() > 5) {
    fresh.algorithm = Balance::hdr;
    fresh.param = a.substr(4, a.size() - 5);
    if (used < l.words.size() && l.words[used] == "use_domain_only") {
      fresh.hdr_use_domain_only = true;
      ++used;
    }
  } else if (a == "rdp-cookie" || a.starts_with("rdp-cookie(") || a == "hash") {
    return fail(line_error(l, cat("algorithm '", a, "' is not supported")));
  } else {
    return fail(line_error(l, cat("unknown algorithm '", a, "'")));
  }
  if (used != l.words.size()) return fail(line_error(l, cat("unexpected '", l.words[used], "'")));
  b = fresh;
  return {};
}

Result<void> kw_hash_type(Ctx& c) {
  const Line& l = c.l;
  if (l.words.size() < 2 || l.words.size() > 4) return fail(line_error(l, "expects map-based|consistent [FUNCTION] [avalanche]"));
  BalanceSpec& b = c.p.balance;
  if (l.words[1] == "map-based") b.hash_type = HashType::map_based;
  else if (l.words[1] == "consistent") b.hash_type = HashType::consistent;
  else return fail(line_error(l, cat("'", l.words[1], "' is not map-based or consistent")));
  b.hash_function = HashFunction::sdbm;
  // As HAProxy: consistent hashing with no function named mixes sdbm's result
  // (raw sdbm values of similar keys cluster on the ring).
  b.hash_avalanche = b.hash_type == HashType::consistent && l.words.size() == 2;
  for (size_t i = 2; i < l.words.size(); ++i) {
    const std::string& f = l.words[i];
    if (f == "sdbm") b.hash_function = HashFunction::sdbm;
    else if (f == "djb2") b.hash_function = HashFunction::djb2;
    else if (f == "wt6") b.hash_function = HashFunction::wt6;
    else if (f == "crc32") b.hash_function = HashFunction::crc32;
    else if (f == "avalanche") b.hash_avalanche = true;
    else return fail(line_error(l, cat("unknown hash function '", f, "'")));
  }
  return {};
}

// `option NAME ...` and `no option NAME`.
Result<void> kw_option(Ctx& c, bool negate) {
  const Line& l = c.l;
  size_t base = negate ? 2 : 1;
  if (l.words.size() <= base) return fail(line_error(l, "expects an option name"));
  const std::string& o = l.words[base];
  std::string kw = cat(negate ? "no option " : "option ", o);
  auto caps_ok = [&](unsigned need) -> Result<void> {
    if (need & c.caps) return {};
    return fail(keyword_error(l, kw, cat("not allowed in ", c.section)));
  };
  auto flag = [&](bool& dst, unsigned need) -> Result<void> {
    if (auto r = caps_ok(need); !r) return r;
    if (l.words.size() != base + 1) return fail(keyword_error(l, kw, "takes no argument"));
    dst = !negate;
    return {};
  };
  if (o == "redispatch") {
    if (auto r = caps_ok(kBe); !r) return r;
    c.p.redispatch = !negate;
    if (!negate && l.words.size() == base + 2) {
      long long n = 0;
      if (!parse_int(l.words[base + 1], n) || n == 0 || n < -1000 || n > 1000)
        return fail(keyword_error(l, kw, "the interval must be a non-zero number in -1000..1000"));
      c.p.redispatch_interval = static_cast<int>(n);
    } else if (l.words.size() > base + 1) {
      return fail(keyword_error(l, kw, "takes at most one argument"));
    }
    return {};
  }
  if (o == "forwardfor") {
    if (auto r = caps_ok(kAll); !r) return r;
    ForwardFor f;
    f.enabled = !negate;
    for (size_t i = base + 1; i < l.words.size(); ++i) {
      const std::string& a = l.words[i];
      if ((a == "except" || a == "header") && i + 1 < l.words.size()) {
        std::string v = l.words[++i];
        if (a == "except") {
          std::string host = v.substr(0, v.find('/'));
          if (!is_ipv4(host) && !is_ipv6(host)) return fail(keyword_error(l, kw, cat("'", v, "' is not a network")));
          f.except = v;
        } else {
          if (v.empty()) return fail(keyword_error(l, kw, "empty header name"));
          f.header = v;
        }
      } else if (a == "if-none") {
        f.if_none = true;
      } else {
        return fail(keyword_error(l, kw, cat("unexpected '", a, "'")));
      }
    }
    c.p.forwardfor = f;
    return {};
  }
  if (o == "http-server-close" || o == "httpclose" || o == "http-keep-alive") {
    if (auto r = caps_ok(kAll); !r) return r;
    if (l.words.size() != base + 1) return fail(keyword_error(l, kw, "takes no argument"));
    HttpConnMode m = o == "http-server-close" ? HttpConnMode::server_close
                     : o == "httpclose"       ? HttpConnMode::close
                                              : HttpConnMode::keep_alive;
    if (!negate) c.p.http_conn_mode = m;
    else if (c.p.http_conn_mode == m) c.p.http_conn_mode = HttpConnMode::keep_alive;
    return {};
  }
  if (o == "httplog") {
    if (auto r = caps_ok(kFe); !r) return r;
    if (l.words.size() > base + 2 || (l.words.size() == base + 2 && l.words[base + 1] != "clf"))
      return fail(keyword_error(l, kw, "takes only 'clf'"));
    c.p.httplog = !negate;
    if (!negate) c.p.tcplog = false;
    return {};
  }
  if (o == "tcplog") {
    auto r = flag(c.p.tcplog, kFe);
    if (r && !negate) c.p.httplog = false;
    return r;
  }
  if (o == "dontlognull") return flag(c.p.dontlognull, kFe);
  if (o == "log-separate-errors") return flag(c.p.log_separate_errors, kFe);
  if (o == "http-ignore-probes") return flag(c.p.http_ignore_probes, kFe);
  if (o == "allbackups") return flag(c.p.allbackups, kBe);
  if (o == "httpchk") {
    if (auto r = caps_ok(kBe); !r) return r;
    if (negate) {
      c.p.check = CheckSpec{};
      return {};
    }
    CheckSpec fresh;
    fresh.expects = c.p.check.expects;  // http-check lines may come before or after
    fresh.headers = c.p.check.headers;
    fresh.disable_on_404 = c.p.check.disable_on_404;
    if (auto r = parse_option_httpchk(fresh, l, base + 1); !r) return r;
    c.p.check = std::move(fresh);
    return {};
  }
  if (o == "tcp-check") {
    if (auto r = caps_ok(kBe); !r) return r;
    if (l.words.size() != base + 1) return fail(keyword_error(l, kw, "takes no argument"));
    if (negate) {
      c.p.check = CheckSpec{};
      return {};
    }
    c.p.check.kind = CheckSpec::Kind::tcp;
    c.p.check.origin = origin_of(l);
    return {};
  }
  if (o == "persist") return flag(c.p.persist, kBe);
  if (o == "contstats") {
    // HAProxy updates byte counters only at the end of a session unless this
    // is set; Tandem's counters are always continuous, which is what it asks.
    bool ignored = false;
    return flag(ignored, kFe);
  }
  return fail(keyword_error(l, kw, "unknown option"));
}

Result<void> kw_option_pos(Ctx& c) { return kw_option(c, false); }

Result<void> kw_no(Ctx& c) {
  if (c.l.words.size() >= 2 && c.l.words[1] == "option") return kw_option(c, true);
  if (c.l.words.size() == 2 && c.l.words[1] == "log") {
    c.p.logs.clear();
    c.p.log_global = false;
    return {};
  }
  return fail(line_error(c.l, "expects 'option' or 'log'"));
}

Result<void> kw_cookie(Ctx& c) {
  const Line& l = c.l;
  if (l.words.size() < 2) return fail(line_error(l, "expects a cookie name"));
  CookieConfig ck;
  ck.name = l.words[1];
  ck.origin = origin_of(l);
  if (!http_token(ck.name)) return fail(line_error(l, cat("'", ck.name, "' is not a valid cookie name")));
  bool mode_set = false;
  for (size_t i = 2; i < l.words.size(); ++i) {
    const std::string& o = l.words[i];
    auto set_mode = [&](CookieConfig::Mode m) -> Result<void> {
      if (mode_set) return fail(line_error(l, "only one of insert, rewrite and prefix"));
      mode_set = true;
      ck.mode = m;
      return {};
    };
    auto time = [&](Millis& dst) -> Result<void> {
      auto t = arg_time(l, i + 1, cat("cookie ", o));
      if (!t) return std::unexpected(t.error());
      dst = *t;
      ++i;
      return {};
    };
    Result<void> r;
    if (o == "insert") r = set_mode(CookieConfig::Mode::insert);
    else if (o == "rewrite") r = set_mode(CookieConfig::Mode::rewrite);
    else if (o == "prefix") r = set_mode(CookieConfig::Mode::prefix);
    else if (o == "indirect") ck.indirect = true;
    else if (o == "nocache") ck.nocache = true;
    else if (o == "postonly") ck.postonly = true;
    else if (o == "preserve") ck.preserve = true;
    else if (o == "httponly") ck.httponly = true;
    else if (o == "secure") ck.secure = true;
    else if (o == "domain") {
      if (i + 1 >= l.words.size()) return fail(line_error(l, "'domain' expects a domain"));
      ck.domains.push_back(l.words[++i]);
    } else if (o == "maxidle") r = time(ck.maxidle);
    else if (o == "maxlife") r = time(ck.maxlife);
    else if (o == "dynamic" || o == "attr") return fail(line_error(l, cat("'", o, "' is not supported")));
    else return fail(line_error(l, cat("unknown option '", o, "'")));
    if (!r) return r;
  }
  if (ck.mode != CookieConfig::Mode::insert && (ck.maxidle.count() || ck.maxlife.count() || ck.postonly || ck.nocache ||
                                               ck.preserve || ck.httponly || ck.secure || !ck.domains.empty()))
    return fail(line_error(l, "maxidle, maxlife, postonly, nocache, preserve, httponly, secure and domain need 'insert'"));
  if (ck.indirect && ck.mode == CookieConfig::Mode::prefix)
    return fail(line_error(l, "'indirect' does not apply to 'prefix'"));
  c.p.cookie = std::move(ck);
  return {};
}

Result<void> kw_http_check(Ctx& c) { return parse_http_check(c.p.check, c.l); }
Result<void> kw_tcp_check(Ctx& c) { return parse_tcp_check(c.p.check, c.l); }

Result<void> kw_monitor_uri(Ctx& c) {
  if (auto r = expect_args(c.l, 1, 1, "a path"); !r) return r;
  if (c.l.words[1].empty() || c.l.words[1][0] != '/') return fail(line_error(c.l, "expects a path starting with '/'"));
  c.p.monitor_uri = c.l.words[1];
  return {};
}

// Statements compiled with the runtime (balancer/rules): kept in order, with
// their origin; their syntax errors carry FILE:LINE when compiled (at -c too).
Result<void> kw_rule(Ctx& c) {
  if (c.l.words.size() < 2) return fail(line_error(c.l, "expects arguments"));
  c.p.rules.push_back(Statement{c.l.words, origin_of(c.l)});
  return {};
}

Result<void> kw_stats(Ctx& c) { return parse_stats_line(c.p, c.l, c.caps == kCapDefaults); }
Result<void> kw_capture(Ctx& c) { return parse_capture_line(c.p, c.l); }
Result<void> kw_log_format(Ctx& c) { return parse_log_format_line(c.p, c.l); }
// `stick-table ...`: one per proxy, named after it (HAProxy's rule). Whether
// its `peers` section exists is checked once every section is read.
Result<void> kw_stick_table(Ctx& c) {
  if (c.p.stick_table)
    return fail(line_error(c.l, cat("'", c.p.name, "' already declares a stick-table at ", c.p.stick_table->file, ":",
                                    c.p.stick_table->line)));
  auto def = stick::parse_stick_table(c.l, c.p.name);
  if (!def) return std::unexpected(def.error());
  c.p.stick_table = std::move(*def);
  return {};
}

Result<void> kw_description(Ctx&) { return {}; }

Result<void> kw_id(Ctx& c) {
  if (auto r = expect_args(c.l, 1, 1, "a number"); !r) return r;
  auto v = arg_u32(c.l, 1, "id", 1, 2'000'000'000);
  if (!v) return std::unexpected(v.error());
  c.p.id = *v;
  return {};
}

constexpr Keyword kKeywords[] = {
    {"mode", kAll, kw_mode},
    {"bind", kCapFrontend, kw_bind},
    {"default_backend", kFe, kw_default_backend},
    {"maxconn", kFe, kw_maxconn},
    {"backlog", kFe, kw_backlog},
    {"fullconn", kBe, kw_fullconn},
    {"retries", kBe, kw_retries},
    {"timeout", kAll, kw_timeout},
    {"log", kAll, kw_log},
    {"log-tag", kAll, kw_log_tag},
    {"errorfile", kAll, kw_errorfile},
    {"default-server", kBe, kw_default_server},
    {"server", kCapBackend, kw_server},
    {"balance", kBe, kw_balance},
    {"hash-type", kBe, kw_hash_type},
    {"option", kAll, kw_option_pos},
    {"no", kAll, kw_no},
    {"http-check", kBe, kw_http_check},
    {"cookie", kBe, kw_cookie},
    {"tcp-check", kBe, kw_tcp_check},
    {"monitor-uri", kFe, kw_monitor_uri},
    {"acl", kCapFrontend | kCapBackend, kw_rule},
    {"http-request", kCapFrontend | kCapBackend, kw_rule},
    {"http-response", kCapFrontend | kCapBackend, kw_rule},
    {"tcp-request", kCapFrontend | kCapBackend, kw_rule},
    {"use_backend", kCapFrontend, kw_rule},
    {"redirect", kCapFrontend | kCapBackend, kw_rule},
    {"monitor", kCapFrontend, kw_rule},
    {"stats", kAll, kw_stats},
    {"capture", kCapFrontend, kw_capture},
    {"log-format", kFe, kw_log_format},
    {"stick-table", kCapFrontend | kCapBackend, kw_stick_table},
    {"stick", kCapBackend, kw_rule},
    {"description", kAll & ~kCapDefaults, kw_description},
    {"id", kAll & ~kCapDefaults, kw_id},
};

}  // namespace

Result<void> parse_proxy_line(Proxy& p, unsigned caps, std::string_view section, const Line& l) {
  const std::string& k = l.words[0];
  for (const Keyword& kw : kKeywords) {
    if (kw.name != k) continue;
    if (!(kw.caps & caps)) {
      std::string_view why = (kw.caps & (kCapFrontend | kCapBackend)) == kCapFrontend ? "frontend"
                             : (kw.caps & (kCapFrontend | kCapBackend)) == kCapBackend ? "backend"
                                                                                       : "";
      if (!(caps & (kCapFrontend | kCapBackend)))
        return fail(line_error(l, cat("not allowed in ", section)));
      return fail(line_error(l, cat("not allowed because ", section, " has no ", why, " capability")));
    }
    Ctx c{p, caps, section, l};
    return kw.fn(c);
  }
  if (k == "contimeout" || k == "clitimeout" || k == "srvtimeout")
    return fail(line_error(l, "removed keyword: use 'timeout connect|client|server'"));
  if (k == "redispatch") return fail(line_error(l, "removed keyword: use 'option redispatch'"));
  return fail(line_error(l, cat("unknown keyword in ", section)));
}

}  // namespace tandem::balancer::config
