#include "balancer/config/parser.h"

#include <algorithm>
#include <filesystem>

#include "common/config/units.h"
#include "common/strings.h"

namespace tandem::balancer::config {

using tandem::config::Line;

namespace {

std::string err(const Line& l, std::string_view msg) { return cat(l.where(), ": ", l.words[0], ": ", msg); }

Result<std::uint32_t> u32_arg(const Line& l, size_t i, std::uint32_t min, std::uint32_t max) {
  unsigned long long v = 0;
  if (i >= l.words.size()) return fail(err(l, "expects a number"));
  if (!parse_uint(l.words[i], v) || v < min || v > max)
    return fail(err(l, cat("'", l.words[i], "' is not a number in ", min, "..", max)));
  return static_cast<std::uint32_t>(v);
}

Result<void> parse_global(Global& g, const Line& l) {
  const std::string& k = l.words[0];
  if (k == "maxconn") {
    auto v = u32_arg(l, 1, 1, 10'000'000);
    if (!v) return std::unexpected(v.error());
    g.maxconn = *v;
  } else if (k == "nbthread") {
    auto v = u32_arg(l, 1, 1, 64);
    if (!v) return std::unexpected(v.error());
    g.nbthread = *v;
  } else if (k == "daemon") {
    g.daemon = true;
  } else {
    return fail(err(l, "unknown keyword in section 'global'"));
  }
  return {};
}

Result<void> parse_proxy(Proxy& p, const Line& l) {
  const std::string& k = l.words[0];
  if (k == "mode") {
    if (l.words.size() != 2 || (l.words[1] != "tcp" && l.words[1] != "http"))
      return fail(err(l, "expects 'tcp' or 'http'"));
    p.mode = l.words[1] == "http" ? Mode::http : Mode::tcp;
    return {};
  }
  return fail(err(l, "unknown keyword"));
}

}  // namespace

Result<Config> parse(const std::vector<Line>& lines) {
  Config cfg;
  enum class Section { none, global, proxy } section = Section::none;
  for (const Line& l : lines) {
    const std::string& k = l.words[0];
    if (k == "global") {
      section = Section::global;
      continue;
    }
    if (k == "frontend" || k == "backend" || k == "listen") {
      if (l.words.size() < 2) return fail(err(l, "needs a name"));
      Proxy p;
      p.kind = k == "frontend" ? Proxy::Kind::frontend : k == "backend" ? Proxy::Kind::backend : Proxy::Kind::listen;
      p.name = l.words[1];
      p.file = l.file;
      p.line = l.number;
      cfg.proxies.push_back(std::move(p));
      section = Section::proxy;
      continue;
    }
    switch (section) {
      case Section::none:
        return fail(cat(l.where(), ": ", k, ": unknown keyword outside of any section"));
      case Section::global:
        if (auto r = parse_global(cfg.global, l); !r) return std::unexpected(r.error());
        break;
      case Section::proxy:
        if (auto r = parse_proxy(cfg.proxies.back(), l); !r) return std::unexpected(r.error());
        break;
    }
  }
  return cfg;
}

Result<Config> load(const std::vector<std::string>& paths, const tandem::config::EnvLookup& env) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      std::vector<std::string> in_dir;
      for (const auto& e : std::filesystem::directory_iterator(p, ec))
        if (e.is_regular_file() && e.path().extension() == ".cfg") in_dir.push_back(e.path().string());
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else {
      files.push_back(p);
    }
  }
  std::vector<Line> lines;
  for (const std::string& f : files) {
    auto l = tandem::config::lex_file(f, env);
    if (!l) return std::unexpected(l.error());
    lines.insert(lines.end(), std::make_move_iterator(l->begin()), std::make_move_iterator(l->end()));
  }
  auto cfg = parse(lines);
  if (!cfg) return cfg;
  cfg->files = files;
  return cfg;
}

}  // namespace tandem::balancer::config
