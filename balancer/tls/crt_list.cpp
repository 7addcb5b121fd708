#include "balancer/tls/crt_list.h"

#include "common/strings.h"

namespace tandem::balancer::tls {

namespace {

// Splits on spaces and tabs; "[" and "]" are words of their own even when
// written against a neighbour ("[alpn h2]").
std::vector<std::string> words_of(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for (char c : line) {
    if (c == ' ' || c == '\t' || c == '\r') flush();
    else if (c == '[' || c == ']') {
      flush();
      out.emplace_back(1, c);
    } else cur += c;
  }
  flush();
  return out;
}

}  // namespace

Result<std::vector<CrtListEntry>> parse_crt_list(std::string_view text, std::string_view file) {
  std::vector<CrtListEntry> out;
  int number = 0;
  while (!text.empty()) {
    ++number;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::vector<std::string> w = words_of(line);
    if (w.empty()) continue;
    auto err = [&](std::string_view msg) { return fail(cat(file, ':', number, ": crt-list: ", msg)); };
    CrtListEntry e;
    e.line = number;
    if (w[0] == "[" || w[0] == "]") return err("a line starts with the certificate's path");
    e.path = w[0];
    size_t i = 1;
    if (i < w.size() && w[i] == "[") {
      ++i;
      while (i < w.size() && w[i] != "]") {
        if (w[i] == "[") return err("'[' inside options");
        e.options.push_back(w[i++]);
      }
      if (i >= w.size()) return err("options opened with '[' are not closed with ']'");
      ++i;
    }
    for (; i < w.size(); ++i) {
      if (w[i] == "[" || w[i] == "]") return err("options in brackets go right after the path");
      if (w[i] == "!" || w[i] == "*" || w[i] == "*.") return err(cat("'", w[i], "' is not a server name filter"));
      e.filters.push_back(w[i]);
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace tandem::balancer::tls
