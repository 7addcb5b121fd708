#include "balancer/config/parse_global.h"

#include <array>

#include "balancer/config/parse_tls.h"
#include "common/log.h"
#include "common/net_address.h"
#include "common/strings.h"

namespace tandem::balancer::config {

namespace {

constexpr std::array<std::string_view, 24> kFacilities = {
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2", "ftp",
    "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"};

bool is_facility(std::string_view f) {
  for (auto x : kFacilities)
    if (x == f) return true;
  return false;
}

Result<std::string> one_word(const Line& l) {
  if (auto r = expect_args(l, 1, 1, "one argument"); !r) return std::unexpected(r.error());
  return l.words[1];
}

Result<void> set_string(std::string& dst, const Line& l) {
  auto v = one_word(l);
  if (!v) return std::unexpected(v.error());
  dst = *v;
  return {};
}

Result<StatsSocket> parse_stats_socket(const Line& l) {
  if (l.words.size() < 3) return fail(keyword_error(l, "stats socket", "expects a path"));
  StatsSocket s;
  s.path = l.words[2];
  s.origin = origin_of(l);
  if (s.path.starts_with("ipv4@") || s.path.find(':') != std::string::npos)
    return fail(keyword_error(l, "stats socket", "only unix socket paths are supported"));
  for (size_t i = 3; i < l.words.size(); ++i) {
    const std::string& o = l.words[i];
    auto next = [&]() -> Result<std::string> {
      if (i + 1 >= l.words.size()) return fail(keyword_error(l, "stats socket", cat("'", o, "' expects a value")));
      return l.words[++i];
    };
    if (o == "mode") {
      auto v = next();
      if (!v) return std::unexpected(v.error());
      unsigned long long m = 0;
      bool ok = !v->empty();
      for (char c : *v) {
        if (c < '0' || c > '7') ok = false;
        m = m * 8 + static_cast<unsigned>(c - '0');
      }
      if (!ok || m > 07777) return fail(keyword_error(l, "stats socket", cat("mode '", *v, "' is not octal")));
      s.mode = static_cast<std::uint32_t>(m);
    } else if (o == "level") {
      auto v = next();
      if (!v) return std::unexpected(v.error());
      if (*v != "user" && *v != "operator" && *v != "admin")
        return fail(keyword_error(l, "stats socket", cat("level '", *v, "' is not user, operator or admin")));
      s.level = *v;
    } else if (o == "user" || o == "group") {
      auto v = next();
      if (!v) return std::unexpected(v.error());
      (o == "user" ? s.user : s.group) = *v;
    } else if (o == "uid" || o == "gid") {
      auto v = next();
      if (!v) return std::unexpected(v.error());
      long long n = -1;
      if (!parse_int(*v, n) || n < 0 || n > 0xFFFFFFFELL)
        return fail(keyword_error(l, "stats socket", cat("'", o, "' expects a number, not '", *v, "'")));
      (o == "uid" ? s.uid : s.gid) = static_cast<std::uint32_t>(n);
    } else if (o == "expose-fd") {
      auto v = next();
      if (!v) return std::unexpected(v.error());
      if (*v != "listeners") return fail(keyword_error(l, "stats socket", "expose-fd expects 'listeners'"));
      s.expose_fd = true;
    } else {
      return fail(keyword_error(l, "stats socket", cat("unknown option '", o, "'")));
    }
  }
  return s;
}

}  // namespace

Result<LogTarget> parse_log_target(const Line& l) {
  LogTarget t;
  size_t i = 1;
  if (i >= l.words.size()) return fail(line_error(l, "expects an address and a facility"));
  t.address = l.words[i++];
  while (i < l.words.size() && (l.words[i] == "len" || l.words[i] == "format" || l.words[i] == "sample")) {
    const std::string& o = l.words[i];
    if (i + 1 >= l.words.size()) return fail(line_error(l, cat("'", o, "' expects a value")));
    if (o == "len") {
      auto n = arg_u32(l, i + 1, "log len", 80, 65535);
      if (!n) return std::unexpected(n.error());
      t.max_len = *n;
    } else if (o == "format") {
      const std::string& f = l.words[i + 1];
      if (f != "rfc3164" && f != "rfc5424" && f != "short" && f != "raw" && f != "iso" && f != "local" &&
          f != "priority" && f != "timed")
        return fail(line_error(l, cat("unknown format '", f, "'")));
      t.format = f;
    } else {
      return fail(line_error(l, "'sample' is not supported"));
    }
    i += 2;
  }
  if (i >= l.words.size()) return fail(line_error(l, "expects a facility (e.g. local0) after the address"));
  t.facility = l.words[i++];
  if (!is_facility(t.facility)) return fail(line_error(l, cat("unknown facility '", t.facility, "'")));
  if (i < l.words.size()) {
    t.level = l.words[i++];
    if (!tandem::log::parse_level(t.level)) return fail(line_error(l, cat("unknown level '", t.level, "'")));
  }
  if (i < l.words.size()) {
    t.min_level = l.words[i++];
    if (!tandem::log::parse_level(t.min_level)) return fail(line_error(l, cat("unknown level '", t.min_level, "'")));
  }
  if (i < l.words.size()) return fail(line_error(l, cat("unexpected '", l.words[i], "'")));
  const std::string& a = t.address;
  bool ok = a.starts_with("/") || a == "stdout" || a == "stderr" || a.starts_with("udp@") ||
            a.starts_with("udp4@") || a.starts_with("udp6@") || a.starts_with("unix@") || a.starts_with("ipv4@") ||
            a.starts_with("ipv6@") || a.find(':') != std::string::npos || is_ipv4(a);
  if (!ok) return fail(line_error(l, cat("'", a, "' is not a log address (a path, stdout, stderr, udp@IP:PORT)")));
  return t;
}

Result<void> parse_global_line(Global& g, const Line& l) {
  const std::string& k = l.words[0];
  auto u32 = [&](std::uint32_t& dst, std::uint32_t min, std::uint32_t max) -> Result<void> {
    if (auto r = expect_args(l, 1, 1, "a number"); !r) return r;
    auto v = arg_u32(l, 1, k, min, max);
    if (!v) return std::unexpected(v.error());
    dst = *v;
    return {};
  };
  if (k == "maxconn") return u32(g.maxconn, 1, 10'000'000);
  if (k == "nbthread") return u32(g.nbthread, 1, 64);
  if (k == "ulimit-n") return u32(g.ulimit_n, 1, 100'000'000);
  if (k == "spread-checks") return u32(g.spread_checks, 0, 50);
  if (k == "tune.http.maxhdr") return u32(g.max_headers, 1, 32767);
  if (k == "tune.ssl.cachesize") return u32(g.ssl_cachesize, 0, 100'000'000);
  if (k == "tune.bufsize" || k == "tune.maxrewrite") {
    if (auto r = expect_args(l, 1, 1, "a size"); !r) return r;
    auto v = arg_size(l, 1, k, k == "tune.bufsize" ? 1024 : 0, 1 << 20);
    if (!v) return std::unexpected(v.error());
    (k == "tune.bufsize" ? g.bufsize : g.maxrewrite) = static_cast<std::uint32_t>(*v);
    return {};
  }
  if (k == "daemon") {
    if (auto r = expect_args(l, 1, 0, "no argument"); !r) return r;
    g.daemon = true;
    return {};
  }
  if (k == "pidfile") return set_string(g.pidfile, l);
  if (k == "user" || k == "uid") return set_string(g.user, l);
  if (k == "group" || k == "gid") return set_string(g.group, l);
  if (k == "chroot") return set_string(g.chroot, l);
  if (k == "localpeer" || k == "node") return set_string(g.node, l);
  if (k == "ca-base") return set_string(g.ca_base, l);
  if (k == "crt-base") return set_string(g.crt_base, l);
  if (k == "ssl-default-bind-ciphers") return set_string(g.ssl_default_bind.ciphers, l);
  if (k == "ssl-default-bind-ciphersuites") return set_string(g.ssl_default_bind.ciphersuites, l);
  if (k == "ssl-default-bind-curves") return set_string(g.ssl_default_bind.curves, l);
  if (k == "ssl-default-server-ciphers") return set_string(g.ssl_default_server.ciphers, l);
  if (k == "ssl-default-server-ciphersuites") return set_string(g.ssl_default_server.ciphersuites, l);
  if (k == "ssl-default-server-curves") return set_string(g.ssl_default_server.curves, l);
  if (k == "ssl-default-bind-options" || k == "ssl-default-server-options") {
    if (l.words.size() < 2) return fail(line_error(l, "expects options"));
    TlsSettings& s = k == "ssl-default-bind-options" ? g.ssl_default_bind : g.ssl_default_server;
    for (size_t i = 1; i < l.words.size(); ++i) {
      auto t = parse_tls_setting(s, l, i, k);
      if (!t) return std::unexpected(t.error());
      if (!*t) return fail(keyword_error(l, k, cat("'", l.words[i], "': unknown TLS option")));
    }
    return {};
  }
  if (k == "ssl-server-verify") {
    auto v = one_word(l);
    if (!v) return std::unexpected(v.error());
    if (*v != "none" && *v != "required") return fail(keyword_error(l, k, "expects none or required"));
    g.ssl_server_verify = *v == "none" ? TlsVerify::none : TlsVerify::required;
    return {};
  }
  if (k == "hard-stop-after") {
    if (auto r = expect_args(l, 1, 1, "a time"); !r) return r;
    auto t = arg_time(l, 1, k);
    if (!t) return std::unexpected(t.error());
    g.hard_stop_after = *t;
    return {};
  }
  if (k == "log-tag") return set_string(g.log_tag, l);
  if (k == "log-send-hostname") {
    if (l.words.size() > 2) return fail(keyword_error(l, k, "expects at most a host name"));
    g.log_send_hostname = l.words.size() == 2 ? l.words[1] : std::string();
    return {};
  }
  if (k == "log") {
    auto t = parse_log_target(l);
    if (!t) return std::unexpected(t.error());
    g.logs.push_back(*t);
    return {};
  }
  if (k == "stats") {
    if (l.words.size() >= 2 && l.words[1] == "socket") {
      auto s = parse_stats_socket(l);
      if (!s) return std::unexpected(s.error());
      g.stats_sockets.push_back(*s);
      return {};
    }
    if (l.words.size() >= 2 && l.words[1] == "timeout") {
      if (auto r = expect_args(l, 2, 1, "a time"); !r) return r;
      auto t = arg_time(l, 2, "stats timeout");
      if (!t) return std::unexpected(t.error());
      g.stats_timeout = *t;
      return {};
    }
    return fail(line_error(l, "expects 'socket' or 'timeout' in section 'global'"));
  }
  if (k == "nbproc" || k == "master-worker")
    return fail(line_error(l, "not supported: Tandem runs one process with nbthread threads"));
  return fail(line_error(l, "unknown keyword in section 'global'"));
}

}  // namespace tandem::balancer::config
