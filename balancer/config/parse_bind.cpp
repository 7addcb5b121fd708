#include "balancer/config/parse_bind.h"

#include "balancer/config/parse_tls.h"
#include "common/strings.h"

namespace tandem::balancer::config {

namespace {

// Splits "a,b,c" (the address list of one bind line).
std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t c = s.find(',', start);
    out.push_back(s.substr(start, c == std::string_view::npos ? std::string_view::npos : c - start));
    if (c == std::string_view::npos) break;
    start = c + 1;
  }
  return out;
}

}  // namespace

Result<std::vector<Bind>> parse_bind_line(const Line& l) {
  if (l.words.size() < 2) return fail(line_error(l, "expects an address"));
  Bind proto;
  proto.origin = origin_of(l);
  for (size_t i = 2; i < l.words.size(); ++i) {
    const std::string& o = l.words[i];
    auto err = [&](std::string_view msg) { return fail(keyword_error(l, "bind", cat("'", o, "': ", msg))); };
    if (o == "transparent") proto.transparent = true;
    else if (o == "v4v6") proto.v4v6 = true;
    else if (o == "v6only") proto.v6only = true;
    else if (o == "name") {
      if (i + 1 >= l.words.size()) return err("expects a value");
      proto.name = l.words[++i];
    } else if (o == "backlog") {
      auto v = arg_u32(l, i + 1, "bind backlog", 1, 1'000'000);
      if (!v) return std::unexpected(v.error());
      proto.backlog = *v;
      ++i;
    } else if (o == "ssl") {
      proto.tls.enabled = true;
    } else if (o == "crt" || o == "crt-list" || o == "ca-file") {
      if (i + 1 >= l.words.size()) return err("expects a path");
      const std::string& v = l.words[++i];
      if (o == "crt") proto.tls.crts.push_back(v);
      else if (o == "crt-list") proto.tls.crt_lists.push_back(v);
      else proto.tls.ca_file = v;
    } else if (o == "strict-sni") {
      proto.tls.strict_sni = true;
    } else if (o == "alpn") {
      auto v = parse_alpn_list(l, i + 1, "bind");
      if (!v) return std::unexpected(v.error());
      proto.tls.alpn = *v;
      ++i;
    } else if (o == "verify") {
      auto v = parse_tls_verify(l, i + 1, "bind", true);
      if (!v) return std::unexpected(v.error());
      proto.tls.verify = *v;
      ++i;
    } else if (auto t = parse_tls_setting(proto.tls.settings, l, i, "bind"); !t) {
      return std::unexpected(t.error());
    } else if (*t) {
      // a TLS setting, consumed
    } else if (o == "accept-proxy" || o == "accept-netscaler-cip") {
      return err("the PROXY protocol is not supported");
    } else if (o == "crl-file" || o == "crt-ignore-err" || o == "ca-ignore-err" || o == "ocsp-update" ||
               o == "ca-verify-file" || o == "ca-sign-file" || o == "generate-certificates" || o == "npn" ||
               o == "no-ca-names" || o == "allow-0rtt") {
      // Known TLS options Tandem does not implement: said so, not "unknown".
      return err("this TLS option is not supported");
    } else {
      return err("unknown bind option");
    }
  }
  if (proto.v4v6 && proto.v6only) return fail(keyword_error(l, "bind", "v4v6 and v6only together"));
  if (proto.tls.enabled && proto.tls.crts.empty() && proto.tls.crt_lists.empty())
    return fail(keyword_error(l, "bind", "'ssl' needs a certificate: 'crt FILE|DIR' or 'crt-list FILE'"));
  if (!proto.tls.enabled && (!proto.tls.crts.empty() || !proto.tls.crt_lists.empty() || !proto.tls.ca_file.empty()))
    return fail(keyword_error(l, "bind", "'crt', 'crt-list' and 'ca-file' need 'ssl' on the same line"));
  if (proto.tls.verify == TlsVerify::required || proto.tls.verify == TlsVerify::optional)
    if (proto.tls.ca_file.empty()) return fail(keyword_error(l, "bind", "'verify' needs 'ca-file' to check client certificates"));

  std::vector<Bind> out;
  for (std::string_view addr : split_commas(l.words[1])) {
    if (addr.starts_with("fd@")) {
      unsigned long long fd = 0;
      if (!parse_uint(addr.substr(3), fd) || fd > 65535)
        return fail(keyword_error(l, "bind", cat("'", addr, "': expects fd@NUMBER")));
      Bind b = proto;
      b.inherited_fd = static_cast<int>(fd);
      out.push_back(b);
      continue;
    }
    if (addr.starts_with("unix@") || addr.starts_with("/") || addr.starts_with("abns@") || addr.starts_with("sockpair@"))
      return fail(keyword_error(l, "bind", cat("'", addr, "': only TCP listeners are supported")));
    auto a = parse_address(addr, true, true, true);
    if (!a) return fail(keyword_error(l, "bind", a.error().message));
    for (std::uint32_t p = a->port_lo; p <= a->port_hi; ++p) {
      Bind b = proto;
      b.address = a->host;
      b.ipv6 = a->ipv6;
      b.port = static_cast<std::uint16_t>(p);
      out.push_back(b);
    }
  }
  return out;
}

}  // namespace tandem::balancer::config
