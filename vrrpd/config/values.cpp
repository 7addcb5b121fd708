#include "vrrpd/config/values.h"

#include "common/strings.h"

namespace tandem::vrrpd::config {

std::string Where::text() const { return cat(file, ':', line); }

bool same_identity(const Instance& a, const Instance& b) {
  return a.name == b.name && a.interface == b.interface && a.vrid == b.vrid && a.version == b.version &&
         a.vips == b.vips && a.vips_excluded == b.vips_excluded && a.unicast_peers == b.unicast_peers &&
         a.source == b.source && a.sync_group == b.sync_group;
}

std::string error_at(const Node& n, std::string_view what) { return cat(n.where(), ": ", n.keyword(), ": ", what); }

Where where_of(const Node& n) { return Where{n.file, n.line}; }

Result<void> arguments(const Node& n, std::size_t min, std::size_t max) {
  const std::size_t got = n.words.size() - 1;
  if (n.has_block) return fail(error_at(n, "does not take a { ... } block"));
  if (got >= min && got <= max) return {};
  if (min == max && min == 1) return fail(error_at(n, "expects one value"));
  if (min == max) return fail(error_at(n, cat("expects ", min, " values, got ", got)));
  return fail(error_at(n, cat("expects ", min, " to ", max, " values, got ", got)));
}

Result<void> flag(const Node& n) {
  if (n.has_block || n.words.size() != 1) return fail(error_at(n, "takes no value"));
  return {};
}

Result<void> block(const Node& n, std::size_t allow_args) {
  if (!n.has_block) return fail(error_at(n, "expects a { ... } block"));
  if (n.words.size() - 1 > allow_args) return fail(error_at(n, cat("unexpected '", n.words[1 + allow_args], "'")));
  return {};
}

Result<long long> integer(const Node& n, std::size_t index, long long min, long long max) {
  long long v = 0;
  if (index >= n.words.size() || !parse_int(n.words[index], v) || v < min || v > max)
    return fail(error_at(n, cat("expects a number in ", min, "..", max,
                                index < n.words.size() ? cat(", got '", n.words[index], "'") : "")));
  return v;
}

Result<Micros> seconds(const Node& n, std::size_t index, int decimals, Micros min, Micros max) {
  auto bad = [&] {
    const double lo = static_cast<double>(min.count()) / 1e6, hi = static_cast<double>(max.count()) / 1e6;
    return fail(error_at(
        n, cat("expects seconds in ", lo, "..", hi, decimals > 0 ? cat(" (at most ", decimals, " decimals)") : "",
               index < n.words.size() ? cat(", got '", n.words[index], "'") : "")));
  };
  if (index >= n.words.size()) return bad();
  std::string_view s = n.words[index];
  const auto dot = s.find('.');
  unsigned long long whole = 0, frac = 0;
  std::string_view w = s.substr(0, dot);
  if (w.empty() || !parse_uint(w, whole) || whole > 1'000'000'000ULL) return bad();
  long long us = static_cast<long long>(whole) * 1'000'000;
  if (dot != std::string_view::npos) {
    std::string_view f = s.substr(dot + 1);
    if (f.empty() || static_cast<int>(f.size()) > decimals || !parse_uint(f, frac)) return bad();
    long long scale = 1'000'000;
    for (std::size_t i = 0; i < f.size(); ++i) scale /= 10;
    us += static_cast<long long>(frac) * scale;
  }
  if (us < min.count() || us > max.count()) return bad();
  return Micros(us);
}

Result<IpAddress> address(const Node& n, std::size_t index) {
  if (index >= n.words.size()) return fail(error_at(n, "expects an IP address"));
  auto a = IpAddress::parse(n.words[index]);
  if (!a) return fail(error_at(n, cat("'", n.words[index], "' is not a numeric IP address")));
  return *a;
}

Result<std::vector<std::string>> split_command(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote) {
      if (c == quote)
        quote = 0;
      else
        cur.push_back(c);
    } else if (c == '\\') {
      if (i + 1 == text.size()) return fail("a backslash ends the command");
      cur.push_back(text[++i]);
      in_word = true;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur.push_back(c);
      in_word = true;
    }
  }
  if (quote) return fail("unterminated quote in the command");
  if (in_word) out.push_back(std::move(cur));
  if (out.empty()) return fail("empty command");
  return out;
}

Result<std::string> unescape(std::string_view t) {
  std::string out;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '\\') {
      out.push_back(t[i]);
      continue;
    }
    if (++i == t.size()) return fail("a backslash ends the string");
    switch (t[i]) {
      case 'r':
        out.push_back('\r');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '"':
        out.push_back('"');
        break;
      case 'x': {
        auto hexval = [](char c) {
          return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
        };
        if (i + 2 >= t.size()) return fail("\\x needs two hex digits");
        int hi = hexval(t[i + 1]), lo = hexval(t[i + 2]);
        if (hi < 0 || lo < 0) return fail("\\x needs two hex digits");
        out.push_back(static_cast<char>(hi << 4 | lo));
        i += 2;
        break;
      }
      default:
        return fail(cat("unknown escape \\", t[i]));
    }
  }
  return out;
}

}  // namespace tandem::vrrpd::config
