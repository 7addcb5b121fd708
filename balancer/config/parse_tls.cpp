#include "balancer/config/parse_tls.h"

#include "common/strings.h"

namespace tandem::balancer::config {

TlsVersion parse_tls_version(std::string_view t) {
  if (t == "SSLv3") return TlsVersion::sslv3;
  if (t == "TLSv1.0") return TlsVersion::tlsv10;
  if (t == "TLSv1.1") return TlsVersion::tlsv11;
  if (t == "TLSv1.2") return TlsVersion::tlsv12;
  if (t == "TLSv1.3") return TlsVersion::tlsv13;
  return TlsVersion::none;
}

const char* tls_version_name(TlsVersion v) {
  switch (v) {
    case TlsVersion::sslv3: return "SSLv3";
    case TlsVersion::tlsv10: return "TLSv1.0";
    case TlsVersion::tlsv11: return "TLSv1.1";
    case TlsVersion::tlsv12: return "TLSv1.2";
    case TlsVersion::tlsv13: return "TLSv1.3";
    case TlsVersion::none: break;
  }
  return "none";
}

Result<TlsVerify> parse_tls_verify(const Line& l, size_t i, std::string_view kw, bool allow_optional) {
  if (i >= l.words.size()) return fail(keyword_error(l, kw, "'verify' expects none, optional or required"));
  const std::string& v = l.words[i];
  if (v == "none") return TlsVerify::none;
  if (v == "required") return TlsVerify::required;
  if (v == "optional" && allow_optional) return TlsVerify::optional;
  return fail(keyword_error(l, kw, cat("'verify ", v, "': expects ", allow_optional ? "none, optional or required" : "none or required")));
}

Result<std::vector<std::string>> parse_alpn_list(const Line& l, size_t i, std::string_view kw) {
  if (i >= l.words.size()) return fail(keyword_error(l, kw, "'alpn' expects a list of protocols"));
  std::vector<std::string> out;
  std::string_view s = l.words[i];
  while (true) {
    size_t c = s.find(',');
    std::string_view p = s.substr(0, c);
    if (p.empty() || p.size() > 255) return fail(keyword_error(l, kw, cat("'alpn ", l.words[i], "': bad protocol name")));
    out.emplace_back(p);
    if (c == std::string_view::npos) break;
    s.remove_prefix(c + 1);
  }
  return out;
}

Result<bool> parse_tls_setting(TlsSettings& s, const Line& l, size_t& i, std::string_view kw) {
  const std::string& o = l.words[i];
  auto value = [&]() -> Result<std::string> {
    if (i + 1 >= l.words.size()) return fail(keyword_error(l, kw, cat("'", o, "' expects a value")));
    return l.words[++i];
  };
  auto version = [&](TlsVersion& dst) -> Result<bool> {
    auto v = value();
    if (!v) return std::unexpected(v.error());
    dst = parse_tls_version(*v);
    if (dst == TlsVersion::none)
      return fail(keyword_error(l, kw, cat("'", o, " ", *v, "': expects SSLv3, TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3")));
    return true;
  };
  auto text = [&](std::string& dst) -> Result<bool> {
    auto v = value();
    if (!v) return std::unexpected(v.error());
    dst = *v;
    return true;
  };
  if (o == "ciphers") return text(s.ciphers);
  if (o == "ciphersuites") return text(s.ciphersuites);
  if (o == "curves") return text(s.curves);
  if (o == "ssl-min-ver") return version(s.min_ver);
  if (o == "ssl-max-ver") return version(s.max_ver);
  if (o == "no-sslv3") return s.disabled.push_back(TlsVersion::sslv3), true;
  if (o == "no-tlsv10") return s.disabled.push_back(TlsVersion::tlsv10), true;
  if (o == "no-tlsv11") return s.disabled.push_back(TlsVersion::tlsv11), true;
  if (o == "no-tlsv12") return s.disabled.push_back(TlsVersion::tlsv12), true;
  if (o == "no-tlsv13") return s.disabled.push_back(TlsVersion::tlsv13), true;
  if (o == "force-sslv3" || o == "force-tlsv10" || o == "force-tlsv11" || o == "force-tlsv12" || o == "force-tlsv13") {
    static constexpr std::pair<std::string_view, TlsVersion> kForce[] = {
        {"force-sslv3", TlsVersion::sslv3}, {"force-tlsv10", TlsVersion::tlsv10}, {"force-tlsv11", TlsVersion::tlsv11},
        {"force-tlsv12", TlsVersion::tlsv12}, {"force-tlsv13", TlsVersion::tlsv13}};
    for (auto [n, v] : kForce)
      if (n == o) s.min_ver = s.max_ver = v;
    return true;
  }
  if (o == "no-tls-tickets") return s.no_tls_tickets = true, true;
  if (o == "tls-tickets") return s.no_tls_tickets = false, true;
  if (o == "prefer-client-ciphers") return s.prefer_client_ciphers = true, true;
  return false;
}

}  // namespace tandem::balancer::config
