#include "peersync/config/parser.h"

#include <unistd.h>

#include <set>

#include "common/strings.h"

namespace tandem::peersync::config {

using tandem::config::Line;

namespace {

std::string err(const Line& l, std::string_view msg) { return cat(l.where(), ": ", l.words[0], ": ", msg); }

Result<void> expect_args(const Line& l, size_t n, std::string_view what) {
  if (l.words.size() != n + 1) return fail(err(l, cat("expects ", what)));
  return {};
}

}  // namespace

Result<Config> parse(const std::vector<Line>& lines, const std::string& file) {
  Config cfg;
  std::set<std::string> seen;
  bool tls_set = false;
  for (const Line& l : lines) {
    const std::string& k = l.words[0];
    bool once = k == "node" || k == "listen" || k == "admin-socket" || k == "balancer-socket" || k == "vrrpd-socket" ||
                k == "tls";
    if (once && !seen.insert(k).second) return fail(err(l, "given twice"));
    if (k == "node") {
      if (auto r = expect_args(l, 1, "a node name"); !r) return std::unexpected(r.error());
      cfg.node = l.words[1];
    } else if (k == "listen") {
      if (auto r = expect_args(l, 1, "IP:PORT"); !r) return std::unexpected(r.error());
      auto hp = parse_host_port(l.words[1]);
      if (!hp) return fail(err(l, hp.error().message));
      cfg.listen = *hp;
    } else if (k == "admin-socket" || k == "balancer-socket" || k == "vrrpd-socket") {
      if (auto r = expect_args(l, 1, "a socket path"); !r) return std::unexpected(r.error());
      (k == "admin-socket"      ? cfg.admin_socket
       : k == "balancer-socket" ? cfg.balancer_socket
                                : cfg.vrrpd_socket) = l.words[1];
    } else if (k == "peer") {
      if (auto r = expect_args(l, 2, "NAME IP:PORT"); !r) return std::unexpected(r.error());
      auto hp = parse_host_port(l.words[2]);
      if (!hp) return fail(err(l, hp.error().message));
      for (const Peer& p : cfg.peers)
        if (p.name == l.words[1]) return fail(err(l, cat("peer '", l.words[1], "' given twice")));
      cfg.peers.push_back(Peer{l.words[1], *hp, l.where()});
    } else if (k == "tls") {
      tls_set = true;
      if (l.words.size() == 2 && l.words[1] == "off") {
        cfg.tls.enabled = false;
        continue;
      }
      if (l.words.size() != 7) return fail(err(l, "expects 'cert FILE key FILE ca FILE', or 'off'"));
      for (size_t i = 1; i < 7; i += 2) {
        const std::string& opt = l.words[i];
        std::string* dst = opt == "cert"  ? &cfg.tls.cert
                           : opt == "key" ? &cfg.tls.key
                           : opt == "ca"  ? &cfg.tls.ca
                                          : nullptr;
        if (!dst) return fail(err(l, cat("unknown option '", opt, "' (cert, key, ca)")));
        if (!dst->empty()) return fail(err(l, cat("'", opt, "' given twice")));
        *dst = l.words[i + 1];
      }
      for (const std::string* f : {&cfg.tls.cert, &cfg.tls.key, &cfg.tls.ca})
        if (::access(f->c_str(), R_OK) != 0) return fail(err(l, cat("cannot read '", *f, "'")));
    } else {
      return fail(err(l, "unknown keyword"));
    }
  }
  if (cfg.node.empty()) return fail(cat(file, ": node: required (this node's name)"));
  if (cfg.listen.port == 0) return fail(cat(file, ": listen: required (IP:PORT the peer dials)"));
  if (!tls_set) return fail(cat(file, ": tls: required: 'tls cert FILE key FILE ca FILE', or 'tls off' for plaintext"));
  for (const Peer& p : cfg.peers)
    if (p.name == cfg.node) return fail(cat(p.where, ": peer: '", p.name, "' is this node's own name"));
  return cfg;
}

Result<Config> load(const std::string& path, const tandem::config::EnvLookup& env) {
  auto lines = tandem::config::lex_file(path, env);
  if (!lines) return std::unexpected(lines.error());
  auto cfg = parse(*lines, path);
  if (!cfg) return cfg;
  cfg->file = path;
  return cfg;
}

}  // namespace tandem::peersync::config
