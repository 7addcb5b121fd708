#include "cli/table.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace tandem::cli {

namespace {
// The printed width of a cell, without colour escapes.
size_t visible(const std::string& s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x1b') {
      while (i < s.size() && s[i] != 'm') ++i;
      continue;
    }
    if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80) ++n;
  }
  return n;
}
}  // namespace

std::string Table::render() const {
  std::vector<size_t> width;
  for (const auto& r : rows_)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], visible(r[i]));
    }
  std::string out;
  for (const auto& r : rows_) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line.append(width[i] - visible(r[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  }
  return out;
}

std::string colored(const std::string& word, bool color) {
  if (!color) return word;
  const char* code = nullptr;
  if (word == "UP" || word == "SERVING" || word == "MASTER" || word == "SYNCED" || word == "ok")
    code = "32";
  else if (word == "DOWN" || word == "FAULT" || word == "not running" || word == "unreachable" || word == "DEGRADED" ||
           word == "NOT_SERVING")
    code = "31";
  else if (word == "MAINT" || word == "DRAIN" || word == "NOLB" || word == "STARTING" || word == "BACKUP" ||
           word == "SYNCING" || word == "CONNECTING")
    code = "33";
  if (!code) return word;
  return std::string("\x1b[") + code + "m" + word + "\x1b[0m";
}

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR"); }

}  // namespace tandem::cli
