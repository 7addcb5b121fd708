#include "common/config/lexer.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/strings.h"

namespace tandem::config {

std::string Line::where() const { return cat(file, ':', number); }

std::string at(const Line& line, std::string_view message) { return cat(line.where(), ": ", message); }

std::optional<std::string> process_env(std::string_view name) {
  std::string n(name);
  const char* v = std::getenv(n.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_var_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Lexes one physical line (without its newline).
Result<std::vector<std::string>> lex_line(std::string_view s, const EnvLookup& env) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;  // a word has started (possibly empty, from "")
  size_t i = 0;
  const size_t n = s.size();

  auto end_word = [&] {
    if (in_word) words.push_back(std::move(word));
    word.clear();
    in_word = false;
  };

  // Handles a backslash at s[i]; appends the escaped byte(s); advances i.
  auto escape = [&]() -> Result<void> {
    if (i + 1 >= n) {
      word.push_back('\\');
      ++i;
      return {};
    }
    char c = s[i + 1];
    switch (c) {
      case ' ': case '#': case '\\': case '\'': case '"':
        word.push_back(c);
        i += 2;
        return {};
      case 'r': word.push_back('\r'); i += 2; return {};
      case 'n': word.push_back('\n'); i += 2; return {};
      case 't': word.push_back('\t'); i += 2; return {};
      case 'x': {
        int hi = i + 2 < n ? hex_value(s[i + 2]) : -1;
        int lo = i + 3 < n ? hex_value(s[i + 3]) : -1;
        if (hi < 0 || lo < 0) return fail("invalid \\x escape: two hex digits expected");
        word.push_back(static_cast<char>(hi * 16 + lo));
        i += 4;
        return {};
      }
      default:
        word.push_back('\\');
        word.push_back(c);
        i += 2;
        return {};
    }
  };

  while (i < n) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      end_word();
      ++i;
    } else if (c == '#') {
      break;
    } else if (c == '\\') {
      in_word = true;
      if (auto r = escape(); !r) return std::unexpected(r.error());
    } else if (c == '\'') {
      in_word = true;
      size_t close = s.find('\'', i + 1);
      if (close == std::string_view::npos) return fail("unterminated single quote");
      word.append(s.substr(i + 1, close - i - 1));
      i = close + 1;
    } else if (c == '"') {
      in_word = true;
      ++i;
      bool closed = false;
      while (i < n) {
        char d = s[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\') {
          if (auto r = escape(); !r) return std::unexpected(r.error());
          continue;
        }
        if (d == '$' && i + 1 < n && (s[i + 1] == '{' || is_var_char(s[i + 1]))) {
          std::string name;
          std::optional<std::string> fallback;
          if (s[i + 1] == '{') {
            size_t close = s.find('}', i + 2);
            if (close == std::string_view::npos) return fail("unterminated ${ in variable reference");
            std::string_view inner = s.substr(i + 2, close - i - 2);
            size_t dash = inner.find('-');
            if (dash != std::string_view::npos) {
              fallback = std::string(inner.substr(dash + 1));
              inner = inner.substr(0, dash);
            }
            name = std::string(inner);
            i = close + 1;
          } else {
            size_t j = i + 1;
            while (j < n && is_var_char(s[j])) ++j;
            name = std::string(s.substr(i + 1, j - i - 1));
            i = j;
          }
          if (name.empty()) return fail("empty variable name");
          for (char v : name)
            if (!is_var_char(v)) return fail(cat("invalid variable name '", name, "'"));
          auto value = env(name);
          if (!value) {
            if (!fallback) return fail(cat("environment variable '", name, "' is not set"));
            value = fallback;
          }
          word.append(*value);
          continue;
        }
        word.push_back(d);
        ++i;
      }
      if (!closed) return fail("unterminated double quote");
    } else {
      in_word = true;
      word.push_back(c);
      ++i;
    }
  }
  end_word();
  return words;
}

}  // namespace

Result<std::vector<Line>> lex(std::string_view text, const std::string& file, const EnvLookup& env) {
  std::vector<Line> lines;
  int number = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    ++number;
    if (raw.find('\0') != std::string_view::npos) return fail(cat(file, ':', number, ": NUL byte in configuration"));
    auto words = lex_line(raw, env);
    if (!words) return fail(cat(file, ':', number, ": ", words.error().message));
    if (!words->empty()) lines.push_back(Line{file, number, std::move(*words)});
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return lines;
}

Result<std::vector<Line>> lex_file(const std::string& path, const EnvLookup& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(cat(path, ": cannot open: ", std::strerror(errno)));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return fail(cat(path, ": read error"));
  return lex(buf.str(), path, env);
}

}  // namespace tandem::config
