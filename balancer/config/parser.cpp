#include "balancer/config/parser.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <map>
#include <set>

#include "balancer/config/parse_global.h"
#include "balancer/config/parse_proxy.h"
#include "balancer/config/parse_sections.h"
#include "common/strings.h"

namespace tandem::balancer::config {

using tandem::config::Line;

std::string Bind::text() const {
  if (inherited_fd >= 0) return cat("fd@", inherited_fd);
  if (ipv6) return cat('[', address, "]:", port);
  return cat(address.empty() ? "*" : address, ':', port);
}

const Proxy* Config::find_proxy(std::string_view name, bool backend) const {
  for (const Proxy& p : proxies)
    if (p.name == name && (backend ? p.is_backend() : p.is_frontend())) return &p;
  return nullptr;
}

namespace {

std::string_view kind_name(Proxy::Kind k) {
  switch (k) {
    case Proxy::Kind::frontend: return "frontend";
    case Proxy::Kind::backend: return "backend";
    case Proxy::Kind::listen: return "listen";
  }
  return "?";
}

unsigned caps_of(Proxy::Kind k) {
  switch (k) {
    case Proxy::Kind::frontend: return kCapFrontend;
    case Proxy::Kind::backend: return kCapBackend;
    case Proxy::Kind::listen: return kCapFrontend | kCapBackend;
  }
  return 0;
}

// Section state while walking the lines.
class Parser {
 public:
  Result<Config> run(const std::vector<Line>& lines) {
    for (const Line& l : lines) {
      if (auto r = line(l); !r) return std::unexpected(r.error());
    }
    if (auto r = finish(); !r) return std::unexpected(r.error());
    return std::move(cfg_);
  }

 private:
  enum class Section { none, global, defaults, proxy, userlist, peers };

  Result<void> line(const Line& l) {
    const std::string& k = l.words[0];
    if (k == "global") {
      if (l.words.size() != 1) return fail(line_error(l, "takes no argument"));
      section_ = Section::global;
      return {};
    }
    if (k == "defaults") return begin_defaults(l);
    if (k == "frontend" || k == "backend" || k == "listen") return begin_proxy(l);
    if (k == "userlist") {
      if (l.words.size() != 2) return fail(line_error(l, "expects a name"));
      for (const auto& u : cfg_.userlists)
        if (u.name == l.words[1]) return fail(line_error(l, cat("'", u.name, "' is already declared")));
      cfg_.userlists.push_back(Userlist{l.words[1], origin_of(l), {}, {}});
      section_ = Section::userlist;
      return {};
    }
    if (k == "peers") {
      if (l.words.size() != 2) return fail(line_error(l, "expects a name"));
      for (const auto& p : cfg_.peers)
        if (p.name == l.words[1]) return fail(line_error(l, cat("'", p.name, "' is already declared")));
      cfg_.peers.push_back(PeersSection{l.words[1], origin_of(l), {}, false});
      section_ = Section::peers;
      return {};
    }
    if (k == "resolvers" || k == "mailers" || k == "program" || k == "cache" || k == "http-errors" ||
        k == "ring" || k == "crt-store" || k == "dynamic-update")
      return fail(line_error(l, "this section is not supported"));

    switch (section_) {
      case Section::none:
        return fail(line_error(l, "unknown keyword outside of any section"));
      case Section::global:
        return parse_global_line(cfg_.global, l);
      case Section::defaults:
        return parse_proxy_line(*defaults_, kCapDefaults, "a defaults section", l);
      case Section::proxy: {
        Proxy& p = cfg_.proxies.back();
        std::string section = cat(kind_name(p.kind), " '", p.name, "'");
        return parse_proxy_line(p, caps_of(p.kind), section, l);
      }
      case Section::userlist:
        return parse_userlist_line(cfg_.userlists.back(), l);
      case Section::peers:
        return parse_peers_line(cfg_.peers.back(), l);
    }
    return {};
  }

  // `defaults [NAME] [from PARENT]`: a new defaults section replaces the
  // previous one for every proxy that follows (HAProxy's rule); a named one can
  // also be picked with `frontend X from NAME`.
  Result<void> begin_defaults(const Line& l) {
    Proxy d;
    std::string name;
    size_t i = 1;
    if (i < l.words.size() && l.words[i] != "from") name = l.words[i++];
    if (i < l.words.size()) {
      if (l.words[i] != "from" || i + 2 != l.words.size()) return fail(line_error(l, "expects [NAME] [from PARENT]"));
      auto it = named_defaults_.find(l.words[i + 1]);
      if (it == named_defaults_.end())
        return fail(line_error(l, cat("no defaults section named '", l.words[i + 1], "' before this line")));
      d = *it->second;
    }
    d.origin = origin_of(l);
    d.name = name;
    defaults_ = &defaults_storage_.emplace_back(std::move(d));
    if (!name.empty()) named_defaults_[name] = defaults_;
    section_ = Section::defaults;
    return {};
  }

  Result<void> begin_proxy(const Line& l) {
    const std::string& k = l.words[0];
    if (l.words.size() < 2) return fail(line_error(l, "expects a name"));
    Proxy::Kind kind = k == "frontend" ? Proxy::Kind::frontend : k == "backend" ? Proxy::Kind::backend
                                                                                : Proxy::Kind::listen;
    const std::string& name = l.words[1];
    const Proxy* base = defaults_;
    if (l.words.size() == 4 && l.words[2] == "from") {
      auto it = named_defaults_.find(l.words[3]);
      if (it == named_defaults_.end())
        return fail(line_error(l, cat("no defaults section named '", l.words[3], "' before this line")));
      base = it->second;
    } else if (l.words.size() > 2) {
      if (kind == Proxy::Kind::listen && l.words.size() == 3)
        return fail(line_error(l, "the address on the 'listen' line is not supported: use a 'bind' line"));
      return fail(line_error(l, "expects NAME [from DEFAULTS]"));
    }
    for (const Proxy& other : cfg_.proxies) {
      if (other.name != name) continue;
      bool clash = kind == Proxy::Kind::listen || other.kind == Proxy::Kind::listen || other.kind == kind;
      if (clash)
        return fail(line_error(l, cat(kind_name(other.kind), " '", name, "' is already declared at ", other.origin.where())));
    }
    Proxy p = base ? *base : Proxy{};
    p.kind = kind;
    p.name = name;
    p.origin = origin_of(l);
    p.id = 0;
    p.binds.clear();
    p.servers.clear();
    p.rules.clear();
    p.stick_table.reset();
    cfg_.proxies.push_back(std::move(p));
    section_ = Section::proxy;
    return {};
  }

  Result<void> finish() {
    Global& g = cfg_.global;
    if (g.maxrewrite >= g.bufsize / 2)
      return fail(cat("tune.maxrewrite (", g.maxrewrite, ") must be less than half of tune.bufsize (", g.bufsize, ")"));
    std::set<std::uint32_t> proxy_ids;
    // A `stats socket` gives HAProxy a CLI frontend ("GLOBAL") that takes id
    // 1 before the configured proxies: their ids (iid, be_id) start at 2 then.
    std::uint32_t next_proxy_id = g.stats_sockets.empty() ? 1 : 2;
    for (Proxy& p : cfg_.proxies) {
      std::string what = cat(kind_name(p.kind), " '", p.name, "' (", p.origin.where(), ")");
      if (p.id == 0) {
        while (proxy_ids.contains(next_proxy_id)) ++next_proxy_id;
        p.id = next_proxy_id;
      }
      if (!proxy_ids.insert(p.id).second) return fail(cat(p.origin.where(), ": ", what, ": id ", p.id, " is already used"));

      if (p.is_frontend()) {
        if (p.binds.empty()) warn(p.origin, cat(what, " has no 'bind' line: it will not receive traffic"));
        if (!p.default_backend.empty()) {
          const Proxy* be = cfg_.find_proxy(p.default_backend, true);
          if (!be) return fail(cat(p.origin.where(), ": ", what, ": default_backend '", p.default_backend, "' does not exist"));
          if (be->mode != p.mode)
            return fail(cat(p.origin.where(), ": ", what, ": backend '", be->name, "' is in ",
                            be->mode == Mode::http ? "http" : "tcp", " mode, the frontend in ",
                            p.mode == Mode::http ? "http" : "tcp", " mode"));
        } else if (p.kind == Proxy::Kind::frontend) {
          warn(p.origin, cat(what, " has no default_backend: requests no rule routes get 503"));
        }
        if (p.mode == Mode::tcp && p.forwardfor.enabled)
          warn(p.origin, cat(what, ": option forwardfor has no effect in tcp mode"));
        if (p.mode == Mode::tcp && p.httplog) warn(p.origin, cat(what, ": option httplog in tcp mode logs as tcplog"));
        // HAProxy's capture slots hold 63 bytes of a cookie.
        if (p.capture_cookie_len > kMaxCookieCapture) {
          warn(p.origin, cat("truncating capture length to ", kMaxCookieCapture, " bytes for ", what));
          p.capture_cookie_len = kMaxCookieCapture;
        }
      }
      if (p.is_backend()) {
        for (const Server& s : p.servers)
          if (!s.params.observe.empty() && !s.params.check)
            return fail(cat(s.origin.where(), ": server '", s.name, "': 'observe' needs 'check' (checks bring the server back)"));
        std::set<std::uint32_t> ids;
        for (const Server& s : p.servers)
          if (s.id && !ids.insert(s.id).second)
            return fail(cat(s.origin.where(), ": server '", s.name, "': id ", s.id, " is already used in ", what));
        std::uint32_t next = 1;
        for (Server& s : p.servers) {
          if (s.id) continue;
          while (ids.contains(next)) ++next;
          s.id = next;
          ids.insert(next);
        }
        if (p.balance.algorithm == Balance::hdr || p.balance.algorithm == Balance::uri ||
            p.balance.algorithm == Balance::url_param) {
          if (p.mode != Mode::http)
            return fail(cat(p.origin.where(), ": ", what, ": 'balance ", p.balance.text, "' needs mode http"));
        }
      }
      if (p.stick_table && !p.stick_table->peers.empty()) {
        const stick::TableDef& t = *p.stick_table;
        bool known = false;
        for (const PeersSection& ps : cfg_.peers) known |= ps.name == t.peers;
        if (!known)
          return fail(cat(t.file, ":", t.line, ": stick-table: no peers section named '", t.peers, "'"));
      }
      // HAProxy refuses both ways of guarding the page in one proxy.
      bool stats_rules = std::any_of(p.rules.begin(), p.rules.end(), [](const Statement& st) {
        return st.words.size() >= 2 && st.words[0] == "stats" && st.words[1] == "http-request";
      });
      if (stats_rules && (!p.stats.users.empty() || !p.stats.realm.empty()))
        return fail(cat(p.origin.where(), ": proxy '", p.name,
                        "': stats 'auth'/'realm' and 'http-request' can't be used at the same time"));
      for (StatsPage::Scope& sc : p.stats.scope) {
        if (sc.name == ".") sc.name = p.name;  // "." is the section the line is in (or inherited into)
        // HAProxy accepts any name; one that matches nothing only hides rows.
        else if (!cfg_.find_proxy(sc.name, false) && !cfg_.find_proxy(sc.name, true))
          warn(sc.origin, cat("stats scope: no proxy named '", sc.name, "': the page will not show it"));
      }
      bool fe = p.is_frontend(), be = p.is_backend();
      const Timeouts& t = p.timeouts;
      if ((fe && !t.client) || (be && (!t.connect || !t.server)))
        warn(p.origin, cat(what, ": missing timeouts (client, connect, server): idle connections may last forever"));
    }
    return {};
  }

  void warn(const Origin& o, std::string msg) { cfg_.warnings.push_back(cat(o.where(), ": ", msg)); }

  Config cfg_;
  Section section_ = Section::none;
  // Every defaults section, in a deque so that pointers to them stay valid.
  std::deque<Proxy> defaults_storage_;
  Proxy* defaults_ = nullptr;  // the last one: what new proxies start from
  std::map<std::string, const Proxy*> named_defaults_;
};

}  // namespace

Result<Config> parse(const std::vector<Line>& lines) { return Parser().run(lines); }

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
