#include "balancer/rules/cookie.h"

#include "balancer/http/syntax.h"
#include "common/strings.h"

namespace tandem::balancer::rules {

using http::syntax::iequals;
using http::syntax::trim_ows;

namespace {

std::string hex(std::int64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<long long>(v));
  return buf;
}

std::int64_t from_hex(std::string_view s) {
  std::int64_t v = 0;
  if (s.empty() || s.size() > 15) return -1;
  for (char c : s) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// Splits a Cookie header into its pairs (name, value), trimmed.
std::vector<std::pair<std::string_view, std::string_view>> cookie_pairs(std::string_view v) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  while (!v.empty()) {
    size_t semi = v.find(';');
    std::string_view pair = trim_ows(v.substr(0, semi));
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      out.emplace_back(trim_ows(pair.substr(0, eq)), eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    }
    if (semi == std::string_view::npos) break;
    v.remove_prefix(semi + 1);
  }
  return out;
}

bool looks_cacheable(const std::vector<http::Header>& hs) {
  for (const auto& h : hs) {
    if (iequals(h.name, "cache-control")) {
      std::string v = to_lower(h.value);
      if (v.find("private") != std::string::npos || v.find("no-cache") != std::string::npos ||
          v.find("no-store") != std::string::npos)
        return false;
      return true;  // public, max-age...
    }
  }
  for (const auto& h : hs)
    if (iequals(h.name, "expires") || iequals(h.name, "last-modified")) return true;
  return false;
}

}  // namespace

CookieSeen take_request_cookie(const config::CookieConfig& c, std::vector<http::Header>& headers, EvalContext& ctx,
                               std::int64_t now_s) {
  CookieSeen seen;
  bool strip = c.mode == config::CookieConfig::Mode::insert ? c.indirect : c.mode == config::CookieConfig::Mode::rewrite && c.indirect;
  for (auto it = headers.begin(); it != headers.end();) {
    if (!iequals(it->name, "cookie")) {
      ++it;
      continue;
    }
    auto pairs = cookie_pairs(it->value);
    bool changed = false;
    std::vector<std::string> kept;
    for (auto [name, value] : pairs) {
      if (name != c.name) {
        kept.push_back(cat(name, '=', value));
        continue;
      }
      if (c.mode == config::CookieConfig::Mode::prefix) {
        size_t tilde = value.find('~');
        if (tilde != std::string_view::npos) {
          seen.value = std::string(value.substr(0, tilde));
          seen.valid = true;
          kept.push_back(cat(name, '=', value.substr(tilde + 1)));
          changed = true;
        } else {
          kept.push_back(cat(name, '=', value));
        }
        continue;
      }
      // insert or rewrite: VALUE or VALUE|LAST|FIRST
      std::string_view v = value;
      size_t bar = v.find('|');
      seen.value = std::string(v.substr(0, bar));
      seen.valid = !seen.value.empty();
      if (bar != std::string_view::npos) {
        std::string_view rest = v.substr(bar + 1);
        size_t bar2 = rest.find('|');
        seen.last_seen = from_hex(rest.substr(0, bar2));
        seen.first_seen = bar2 == std::string_view::npos ? seen.last_seen : from_hex(rest.substr(bar2 + 1));
        if (seen.last_seen < 0 || seen.first_seen < 0) seen.valid = false;
      }
      if (seen.valid && c.maxidle.count() && seen.last_seen && now_s - seen.last_seen > c.maxidle.count() / 1000)
        seen.valid = false;
      if (seen.valid && c.maxlife.count() && seen.first_seen && now_s - seen.first_seen > c.maxlife.count() / 1000)
        seen.valid = false;
      if (strip) changed = true;
      else kept.push_back(cat(name, '=', value));
    }
    if (!changed) {
      ++it;
      continue;
    }
    if (kept.empty()) {
      it = headers.erase(it);
    } else {
      it->value = ctx.keep(join(kept, "; "));
      ++it;
    }
  }
  return seen;
}

void apply_response_cookie(const config::CookieConfig& c, const CookieSeen& seen, std::string_view server_cookie,
                           http::Method method, std::vector<http::Header>& headers, EvalContext& ctx,
                           std::int64_t now_s) {
  if (server_cookie.empty()) return;
  using Mode = config::CookieConfig::Mode;
  if (c.mode == Mode::rewrite || c.mode == Mode::prefix) {
    for (auto& h : headers) {
      if (!iequals(h.name, "set-cookie")) continue;
      std::string_view v = h.value;
      size_t eq = v.find('=');
      if (eq == std::string_view::npos || trim_ows(v.substr(0, eq)) != c.name) continue;
      std::string_view rest = v.substr(eq + 1);
      size_t semi = rest.find(';');
      std::string_view value = rest.substr(0, semi);
      std::string_view attrs = semi == std::string_view::npos ? std::string_view() : rest.substr(semi);
      std::string nv = c.mode == Mode::rewrite ? std::string(server_cookie) : cat(server_cookie, '~', value);
      h.value = ctx.keep(cat(c.name, '=', nv, attrs));
    }
    return;
  }
  // insert
  bool server_sets_it = false;
  for (const auto& h : headers)
    if (iequals(h.name, "set-cookie") && trim_ows(h.value.substr(0, h.value.find('='))) == c.name) server_sets_it = true;
  if (server_sets_it && c.preserve) return;
  if (server_sets_it) {
    std::erase_if(headers, [&](const http::Header& h) {
      return iequals(h.name, "set-cookie") && trim_ows(h.value.substr(0, h.value.find('='))) == c.name;
    });
  }
  if (c.postonly && method != http::Method::post) return;
  bool dated = c.maxidle.count() || c.maxlife.count();
  bool fresh = seen.valid && seen.value == server_cookie;
  // With dates, an active client's cookie is refreshed before it goes idle.
  if (fresh && dated && c.maxidle.count() && now_s - seen.last_seen >= c.maxidle.count() / 4000) fresh = false;
  if (fresh) return;
  std::string value(server_cookie);
  if (dated) {
    std::int64_t first = seen.valid && seen.value == server_cookie && seen.first_seen ? seen.first_seen : now_s;
    append(value, '|', hex(now_s), '|', hex(first));
  }
  std::string attrs = "; path=/";
  std::string tail;
  if (c.httponly) tail += "; HttpOnly";
  if (c.secure) tail += "; Secure";
  if (c.domains.empty()) {
    headers.push_back({"set-cookie", ctx.keep(cat(c.name, '=', value, attrs, tail))});
  } else {
    for (const auto& d : c.domains) headers.push_back({"set-cookie", ctx.keep(cat(c.name, '=', value, attrs, "; domain=", d, tail))});
  }
  if (c.nocache && looks_cacheable(headers)) {
    std::erase_if(headers, [](const http::Header& h) { return iequals(h.name, "cache-control"); });
    headers.push_back({"cache-control", "private"});
  }
}

}  // namespace tandem::balancer::rules
