#pragma once
// Character classes and small helpers of HTTP's grammar (RFC 9110 §5.6,
// RFC 9112), as lookup tables: the parsers run them on every byte.

#include <array>
#include <cstdint>
#include <string_view>

namespace tandem::balancer::http::syntax {

enum : std::uint8_t {
  kToken = 1,      // tchar (RFC 9110 §5.6.2)
  kFieldValue = 2, // VCHAR / obs-text / SP / HTAB (RFC 9110 §5.5)
  kTarget = 4,     // bytes accepted in a request-target: visible ASCII
  kHex = 8,
  kDigit = 16,
};

constexpr std::array<std::uint8_t, 256> make_table() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    std::uint8_t v = 0;
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool digit = c >= '0' && c <= '9';
    if (alpha || digit) v |= kToken;
    for (char s : std::string_view("!#$%&'*+-.^_`|~"))
      if (c == s) v |= kToken;
    if ((c >= 0x21 && c <= 0x7e) || c >= 0x80 || c == ' ' || c == '\t') v |= kFieldValue;
    if (c >= 0x21 && c <= 0x7e) v |= kTarget;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= kHex;
    if (digit) v |= kDigit;
    t[static_cast<std::size_t>(c)] = v;
  }
  return t;
}

inline constexpr std::array<std::uint8_t, 256> kTable = make_table();

inline bool is(unsigned char c, std::uint8_t cls) { return kTable[c] & cls; }

inline bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!is(c, kToken)) return false;
  return true;
}

inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (static_cast<unsigned>(x - 'A') < 26u) x = static_cast<unsigned char>(x + 32);
    if (static_cast<unsigned>(y - 'A') < 26u) y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

// Calls f(token) for each element of a comma-separated list (RFC 9110 §5.6.1),
// trimmed, skipping empty elements.
template <typename F>
void for_each_list_item(std::string_view v, F&& f) {
  std::size_t start = 0;
  while (start <= v.size()) {
    std::size_t comma = v.find(',', start);
    std::string_view item = trim_ows(v.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
}

// Parses a Content-Length value: 1*DIGIT, at most 2^63-1 (RFC 9110 §8.6).
// No sign, no spaces, no list: anything else is refused.
bool parse_content_length(std::string_view v, std::uint64_t& out);

}  // namespace tandem::balancer::http::syntax
