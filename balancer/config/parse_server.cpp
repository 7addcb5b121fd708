#include "balancer/config/parse_server.h"

#include "balancer/config/parse_tls.h"
#include "common/net_address.h"
#include "common/strings.h"

namespace tandem::balancer::config {

Result<void> parse_server_params(ServerParams& p, const Line& l, size_t from, bool is_default, std::uint32_t* id) {
  const std::string_view kw = is_default ? "default-server" : "server";
  for (size_t i = from; i < l.words.size(); ++i) {
    const std::string& o = l.words[i];
    auto err = [&](std::string_view msg) { return fail(keyword_error(l, kw, cat("'", o, "': ", msg))); };
    auto num = [&](std::uint32_t& dst, std::uint32_t min, std::uint32_t max) -> Result<void> {
      auto v = arg_u32(l, i + 1, cat(kw, ' ', o), min, max);
      if (!v) return std::unexpected(v.error());
      dst = *v;
      ++i;
      return {};
    };
    auto time = [&](Millis& dst) -> Result<void> {
      auto t = arg_time(l, i + 1, cat(kw, ' ', o));
      if (!t) return std::unexpected(t.error());
      if (t->count() == 0) return err("must be greater than 0");
      dst = *t;
      ++i;
      return {};
    };
    auto word = [&](std::string& dst) -> Result<void> {
      if (i + 1 >= l.words.size()) return err("expects a value");
      dst = l.words[++i];
      return {};
    };
    Result<void> r;
    if (o == "weight") r = num(p.weight, 0, 256);
    else if (o == "maxconn") r = num(p.maxconn, 0, 10'000'000);
    else if (o == "maxqueue") r = num(p.maxqueue, 0, 10'000'000);
    else if (o == "minconn") r = num(p.minconn, 0, 10'000'000);
    else if (o == "rise") r = num(p.rise, 1, 1000);
    else if (o == "fall") r = num(p.fall, 1, 1000);
    else if (o == "error-limit") r = num(p.error_limit, 1, 1000);
    else if (o == "inter") r = time(p.inter);
    else if (o == "fastinter") {
      Millis t{};
      r = time(t);
      p.fastinter = t;
    } else if (o == "downinter") {
      Millis t{};
      r = time(t);
      p.downinter = t;
    } else if (o == "slowstart") {
      auto t = arg_time(l, i + 1, cat(kw, ' ', o));
      if (!t) return std::unexpected(t.error());
      p.slowstart = *t;
      ++i;
    } else if (o == "port") {
      std::uint32_t v = 0;
      r = num(v, 1, 65535);
      p.check_port = static_cast<std::uint16_t>(v);
    } else if (o == "addr") {
      r = word(p.check_addr);
      if (r && !is_ipv4(p.check_addr) && !is_ipv6(p.check_addr)) return err("expects a numeric IP address");
    } else if (o == "id") {
      std::uint32_t v = 0;
      r = num(v, 1, 2'000'000'000);
      if (r && is_default) return err("not allowed on default-server");
      if (r && id) *id = v;
    } else if (o == "cookie") r = word(p.cookie);
    else if (o == "observe") {
      r = word(p.observe);
      if (r && p.observe != "layer4" && p.observe != "layer7") return err("expects layer4 or layer7");
    } else if (o == "on-error") {
      r = word(p.on_error);
      if (r && p.on_error != "fastinter" && p.on_error != "fail-check" && p.on_error != "sudden-death" &&
          p.on_error != "mark-down")
        return err("expects fastinter, fail-check, sudden-death or mark-down");
    } else if (o == "on-marked-down" || o == "on-marked-up") {
      return err("not supported: sessions are not cut when a server changes state");
    } else if (o == "backup") p.backup = true;
    else if (o == "no-backup") p.backup = false;
    else if (o == "disabled") p.disabled = true;
    else if (o == "enabled") p.disabled = false;
    else if (o == "check") p.check = true;
    else if (o == "no-check") p.check = false;
    else if (o == "init-addr") {
      std::string v;
      r = word(v);
      // Addresses are numeric, so there is nothing to resolve; accept the
      // methods that mean "use the configured address".
      if (r && v != "last,libc,none" && v != "libc" && v != "last" && v != "none" && v != "last,libc")
        return err("only 'libc', 'last' and 'none' are accepted (addresses are numeric)");
    } else if (o == "ssl") p.tls.enabled = true;
    else if (o == "no-ssl") p.tls.enabled = false;
    else if (o == "check-ssl") p.tls.check_ssl = true;
    else if (o == "ca-file") r = word(p.tls.ca_file);
    else if (o == "crt") r = word(p.tls.crt);
    else if (o == "sni") r = word(p.tls.sni);
    else if (o == "verify") {
      auto v = parse_tls_verify(l, i + 1, kw, false);
      if (!v) return std::unexpected(v.error());
      p.tls.verify = *v;
      ++i;
    } else if (o == "alpn") {
      auto v = parse_alpn_list(l, i + 1, kw);
      if (!v) return std::unexpected(v.error());
      p.tls.alpn = *v;
      ++i;
    } else if (o == "verifyhost") r = word(p.tls.verify_host);
    else if (o == "check-sni") {
      r = word(p.tls.check_sni);
      if (r && p.tls.check_sni.empty()) return err("expects a host name");
    } else if (auto t = parse_tls_setting(p.tls.settings, l, i, kw); !t) {
      return std::unexpected(t.error());
    } else if (*t) {
      // a TLS setting, consumed
    } else if (o == "send-proxy" || o == "send-proxy-v2" || o == "check-send-proxy") {
      return err("the PROXY protocol is not supported");
    } else if (o == "crl-file" || o == "npn" || o == "allow-0rtt" || o == "check-alpn" || o == "ssl-reuse" ||
               o == "no-ssl-reuse") {
      return err("this TLS option is not supported");
    } else if (o == "track" || o == "agent-check" || o == "resolvers" || o == "redir" || o == "source") {
      return err("not supported");
    } else {
      return err("unknown server option");
    }
    if (!r) return r;
  }
  return {};
}

Result<Server> parse_server_line(const Line& l, const ServerParams& defaults) {
  if (l.words.size() < 3) return fail(line_error(l, "expects NAME ADDRESS[:PORT] [options]"));
  Server s;
  s.name = l.words[1];
  s.origin = origin_of(l);
  s.params = defaults;
  auto a = parse_address(l.words[2], false, false, false);
  if (!a) return fail(line_error(l, a.error().message));
  s.address = a->host;
  s.port = a->port_lo;
  s.ipv6 = a->ipv6;
  if (auto r = parse_server_params(s.params, l, 3, false, &s.id); !r) return std::unexpected(r.error());
  return s;
}

}  // namespace tandem::balancer::config
