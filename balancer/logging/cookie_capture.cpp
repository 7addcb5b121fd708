#include "balancer/logging/cookie_capture.h"

namespace tandem::balancer::logging {

namespace {

bool space(char c) { return c == ' ' || c == '\t'; }

// The end of a cookie value: the first ',' or ';' outside double quotes
// (a backslash escapes the next character inside them).
std::size_t value_end(std::string_view h, std::size_t i) {
  bool quoted = false, escaped = false;
  for (; i < h.size(); ++i) {
    char c = h[i];
    if (escaped) escaped = false;
    else if (quoted) {
      if (c == '\\') escaped = true;
      else if (c == '"') quoted = false;
    } else if (c == '"') quoted = true;
    else if (c == ',' || c == ';') return i;
  }
  return i;
}

// Whether "name=value" begins with `prefix`, without building the text.
bool starts_with_pair(std::string_view name, std::string_view value, std::string_view prefix) {
  if (prefix.size() <= name.size()) return name.starts_with(prefix);
  if (!prefix.starts_with(name) || prefix[name.size()] != '=') return false;
  return value.starts_with(prefix.substr(name.size() + 1));
}

}  // namespace

bool capture_cookie(std::string_view h, bool set_cookie, std::string_view prefix, std::size_t len, std::string& out) {
  if (prefix.empty()) return false;
  std::size_t pos = 0;
  bool first = true;
  while (pos < h.size() || first) {
    std::size_t att_beg = first ? pos : pos + 1;  // past the delimiter
    first = false;
    while (att_beg < h.size() && space(h[att_beg])) ++att_beg;
    // The name runs to '=' or a delimiter; att_end is past its last non-space.
    std::size_t eq = att_beg, att_end = att_beg;
    while (eq < h.size()) {
      char c = h[eq];
      if (c == '=' || c == ';' || (!set_cookie && c == ',')) break;
      ++eq;
      if (!space(c)) att_end = eq;
    }
    std::size_t val_beg = eq, val_end = eq, next = eq;
    bool has_value = eq < h.size() && h[eq] == '=';
    if (has_value) {
      val_beg = eq + 1;
      while (val_beg < h.size() && space(h[val_beg])) ++val_beg;
      next = value_end(h, val_beg);
      val_end = next;
      while (val_end > val_beg && space(h[val_end - 1])) --val_end;
    }
    std::string_view name = h.substr(att_beg, att_end - att_beg);
    if (has_value && !(!set_cookie && name.starts_with('$'))) {
      std::string_view value = h.substr(val_beg, val_end - val_beg);
      // Compared as the "name=value" text, as HAProxy does (its prefix may
      // run into the value).
      if (starts_with_pair(name, value, prefix)) {
        out.assign(name);
        out += '=';
        out += value;
        if (out.size() > len) out.resize(len);
        return true;
      }
    }
    if (set_cookie || next >= h.size()) return false;  // a Set-Cookie's attributes are not cookies
    pos = next;
  }
  return false;
}

}  // namespace tandem::balancer::logging
