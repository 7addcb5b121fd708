#include "balancer/config/parse_util.h"

#include "common/config/units.h"
#include "common/net_address.h"
#include "common/strings.h"

namespace tandem::balancer::config {

std::string line_error(const Line& l, std::string_view msg) { return cat(l.where(), ": ", l.words[0], ": ", msg); }

std::string keyword_error(const Line& l, std::string_view keyword, std::string_view msg) {
  return cat(l.where(), ": ", keyword, ": ", msg);
}

Result<std::uint32_t> arg_u32(const Line& l, size_t i, std::string_view keyword, std::uint32_t min, std::uint32_t max) {
  if (i >= l.words.size()) return fail(keyword_error(l, keyword, cat("expects a number in ", min, "..", max)));
  unsigned long long v = 0;
  if (!parse_uint(l.words[i], v) || v < min || v > max)
    return fail(keyword_error(l, keyword, cat("'", l.words[i], "' is not a number in ", min, "..", max)));
  return static_cast<std::uint32_t>(v);
}

Result<Millis> arg_time(const Line& l, size_t i, std::string_view keyword) {
  if (i >= l.words.size()) return fail(keyword_error(l, keyword, "expects a time (e.g. 500ms, 5s, 1m)"));
  auto t = tandem::config::parse_time_ms(l.words[i]);
  if (!t) return fail(keyword_error(l, keyword, t.error().message));
  return *t;
}

Result<std::uint64_t> arg_size(const Line& l, size_t i, std::string_view keyword, std::uint64_t min, std::uint64_t max) {
  if (i >= l.words.size()) return fail(keyword_error(l, keyword, "expects a size (e.g. 16384, 16k)"));
  auto s = tandem::config::parse_size(l.words[i]);
  if (!s) return fail(keyword_error(l, keyword, s.error().message));
  if (*s < min || *s > max) return fail(keyword_error(l, keyword, cat("'", l.words[i], "' is not in ", min, "..", max)));
  return *s;
}

Result<void> expect_args(const Line& l, size_t skip, size_t n, std::string_view what) {
  if (l.words.size() != skip + n) {
    std::string kw = l.words[0];
    for (size_t i = 1; i < skip && i < l.words.size(); ++i) append(kw, ' ', l.words[i]);
    return fail(keyword_error(l, kw, cat("expects ", what)));
  }
  return {};
}

namespace {
Result<std::uint16_t> port_number(std::string_view p, std::string_view whole) {
  unsigned long long v = 0;
  if (!parse_uint(p, v) || v < 1 || v > 65535) return fail(cat("'", whole, "': port '", p, "' is not in 1..65535"));
  return static_cast<std::uint16_t>(v);
}
}  // namespace

Result<ParsedAddress> parse_address(std::string_view text, bool port_required, bool allow_range, bool allow_any) {
  ParsedAddress a;
  std::string_view t = text;
  bool force4 = false, force6 = false;
  if (t.starts_with("ipv4@")) {
    force4 = true;
    t.remove_prefix(5);
  } else if (t.starts_with("ipv6@")) {
    force6 = true;
    t.remove_prefix(5);
  }
  std::string_view host, port;
  bool has_port = false;
  if (!t.empty() && t[0] == '[') {
    size_t close = t.find(']');
    if (close == std::string_view::npos) return fail(cat("'", text, "': missing ']'"));
    host = t.substr(1, close - 1);
    std::string_view rest = t.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return fail(cat("'", text, "': expected ':PORT' after ']'"));
      port = rest.substr(1);
      has_port = true;
    }
    a.ipv6 = true;
  } else {
    size_t colon = t.rfind(':');
    if (colon == std::string_view::npos) {
      host = t;
    } else {
      host = t.substr(0, colon);
      port = t.substr(colon + 1);
      has_port = true;
    }
    // ":::80" is the IPv6 any address "::" with port 80.
    if (host.find(':') != std::string_view::npos) a.ipv6 = true;
  }
  if (force6) a.ipv6 = true;
  if (host == "*" || host.empty()) {
    if (!allow_any) return fail(cat("'", text, "': an address is required"));
    a.host = a.ipv6 ? "::" : "";
  } else if (a.ipv6) {
    if (!is_ipv6(host)) return fail(cat("'", text, "': '", host, "' is not an IPv6 address"));
    a.host = std::string(host);
  } else {
    if (!is_ipv4(host))
      return fail(cat("'", text, "': '", host, "' is not a numeric IP address (Tandem resolves no host names)"));
    a.host = std::string(host);
  }
  if (force4 && a.ipv6) return fail(cat("'", text, "': ipv4@ with an IPv6 address"));
  if (!has_port || port.empty()) {
    if (port_required) return fail(cat("'", text, "': a port is required"));
    return a;
  }
  size_t dash = port.find('-');
  if (dash != std::string_view::npos) {
    if (!allow_range) return fail(cat("'", text, "': a port range is not allowed here"));
    auto lo = port_number(port.substr(0, dash), text);
    if (!lo) return std::unexpected(lo.error());
    auto hi = port_number(port.substr(dash + 1), text);
    if (!hi) return std::unexpected(hi.error());
    if (*hi < *lo) return fail(cat("'", text, "': port range ends before it starts"));
    if (*hi - *lo >= 1024) return fail(cat("'", text, "': port range wider than 1024 ports"));
    a.port_lo = *lo;
    a.port_hi = *hi;
    return a;
  }
  if (!port.empty() && (port[0] == '+' || port[0] == '-'))
    return fail(cat("'", text, "': relative ports are not supported"));
  auto p = port_number(port, text);
  if (!p) return std::unexpected(p.error());
  a.port_lo = a.port_hi = *p;
  return a;
}

}  // namespace tandem::balancer::config
