#pragma once
// String building without iostreams: cat("Server ", name, " is DOWN, code: ", 500).
// g++ 12 has no std::format; this covers what logs and errors need.

#include <charconv>
#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tandem {

namespace detail {
inline void append_one(std::string& out, std::string_view s) { out.append(s); }
inline void append_one(std::string& out, const char* s) { out.append(s); }
inline void append_one(std::string& out, const std::string& s) { out.append(s); }
inline void append_one(std::string& out, char c) { out.push_back(c); }
inline void append_one(std::string& out, bool b) { out.append(b ? "true" : "false"); }
template <std::integral T>
  requires(!std::same_as<T, char> && !std::same_as<T, bool>)
void append_one(std::string& out, T v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}
template <std::floating_point T>
void append_one(std::string& out, T v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 6);
  out.append(buf, r.ptr);
}
template <typename E>
  requires std::is_enum_v<E>
void append_one(std::string& out, E v) {
  append_one(out, static_cast<std::underlying_type_t<E>>(v));
}
}  // namespace detail

// Appends every argument to `out`.
template <typename... Args>
void append(std::string& out, const Args&... args) {
  (detail::append_one(out, args), ...);
}

// Concatenates every argument into a new string.
template <typename... Args>
std::string cat(const Args&... args) {
  std::string out;
  append(out, args...);
  return out;
}

// Joins `parts` with `sep`.
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// ASCII lower-casing (header names, keywords); never locale-dependent.
std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);

// Parses a whole string as an unsigned or signed decimal number; no sign for
// unsigned, no spaces, no trailing bytes.
bool parse_uint(std::string_view s, unsigned long long& out);
bool parse_int(std::string_view s, long long& out);

}  // namespace tandem
