#include "cli/table.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>

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
  static const std::set<std::string, std::less<>> green{"UP", "SERVING", "MASTER", "SYNCED", "ok", "ready", "yes"};
  static const std::set<std::string, std::less<>> red{"DOWN",     "FAULT",       "not running", "unreachable",
                                                      "DEGRADED", "NOT_SERVING", "NOT READY",   "no servers"};
  static const std::set<std::string, std::less<>> yellow{"MAINT",  "DRAIN",   "NOLB",       "STARTING",
                                                         "BACKUP", "SYNCING", "CONNECTING", "degraded"};
  const char* code = green.contains(word) ? "32" : red.contains(word) ? "31" : yellow.contains(word) ? "33" : nullptr;
  if (!code) return word;
  return std::string("\x1b[") + code + "m" + word + "\x1b[0m";
}

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR"); }

}  // namespace tandem::cli
