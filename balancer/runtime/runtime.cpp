#include "balancer/runtime/runtime.h"

#include <sys/resource.h>

#include <random>

#include "balancer/rules/stick_glue.h"
#include "balancer/stick/stick_time.h"
#include "balancer/tls/tls_fetches.h"
#include "common/clock.h"
#include "common/strings.h"

namespace tandem::balancer::runtime {

namespace {

// Every table a `stick` rule uses stores server_id (HAProxy adds it too).
Result<void> add_server_ids(config::Config& cfg) {
  for (const config::Proxy& p : cfg.proxies) {
    for (const config::Statement& st : p.rules) {
      if (st.words.empty() || st.words[0] != "stick") continue;
      std::string name = rules::stick_rule_table_name(st);
      if (name.empty()) name = p.name;
      for (config::Proxy& q : cfg.proxies)
        if (q.name == name && q.stick_table) q.stick_table->ensure_stored(stick::DataType::server_id);
      // An unknown table is reported by the rule's compilation, with its line.
    }
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Runtime>> Runtime::build(const config::Config& cfg, unsigned workers, stick::StickRegistry& sticks) {
  std::unique_ptr<Runtime> rt(new Runtime(cfg, workers));
  rules::register_stick_fetches();
  if (auto r = add_server_ids(rt->cfg_); !r) return std::unexpected(r.error());
  {
    std::random_device rd;
    stick::StickNow now = stick::stick_now(SystemClock::instance());
    for (const config::Proxy& p : rt->cfg_.proxies) {
      if (!p.stick_table) continue;
      if (rt->find_table(p.name))
        return fail(cat(p.stick_table->file, ":", p.stick_table->line, ": stick-table: another proxy named '", p.name,
                        "' already declares a table of that name"));
      std::uint64_t seed = (static_cast<std::uint64_t>(rd()) << 32) | rd();
      auto t = sticks.install(*p.stick_table, seed, now);
      if (!t) return fail(cat(p.stick_table->file, ":", p.stick_table->line, ": stick-table: ", t.error().message));
      rt->tables_.push_back(std::move(*t));
    }
  }
  {
    std::vector<stick::PeersSectionInfo> sections;
    for (const config::PeersSection& ps : rt->cfg_.peers) {
      stick::PeersSectionInfo& info = sections.emplace_back();
      info.name = ps.name;
      info.disabled = ps.disabled;
      for (const auto& p : ps.peers) info.peers.push_back(p.name);
    }
    rt->peers_board_ = sticks.peers_board();
    rt->peers_post_ = rt->peers_board_->post(std::move(sections));
  }
  for (const config::Userlist& u : rt->cfg_.userlists) rt->userlists_.push_back(std::make_unique<rules::Userlist>(u));
  for (const config::Proxy& p : rt->cfg_.proxies)
    if (p.is_backend()) rt->backends_.push_back(std::make_unique<Backend>(p, workers));
  for (const config::Proxy& p : rt->cfg_.proxies) {
    if (!p.is_frontend()) continue;
    Backend* def = nullptr;
    if (p.kind == config::Proxy::Kind::listen) def = rt->find_backend(p.name);
    else if (!p.default_backend.empty()) def = rt->find_backend(p.default_backend);
    rt->frontends_.push_back(std::make_unique<Frontend>(p, def, workers));
  }
  // Rules: compiled once per proxy; a listen section's frontend and backend
  // share theirs.
  Runtime* self = rt.get();
  rules::Resolver resolver;
  resolver.backend = [self](std::string_view n) -> const void* { return self->find_backend(n); };
  resolver.userlist = [self](std::string_view n) -> const void* { return self->find_userlist(n); };
  resolver.table = [self](std::string_view n) -> const void* { return self->find_table(n); };
  auto lookup = [self](std::string_view n) { return self->find_backend(n); };
  tls::register_tls_fetches();
  for (const config::Proxy& p : rt->cfg_.proxies) {
    resolver.own_table = rt->find_table(p.name);
    auto rs = rules::RuleSet::compile(p, resolver, lookup, &rt->warnings_);
    if (!rs) return std::unexpected(rs.error());
    std::shared_ptr<const rules::RuleSet> shared = std::move(*rs);
    if (p.is_frontend()) rt->find_frontend(p.name)->set_rules(shared);
    if (p.is_backend()) rt->find_backend(p.name)->set_rules(shared);
    // Entries name servers; each table a stick rule uses knows this
    // backend's servers by name and local id.
    if (p.is_backend()) {
      Backend* be = rt->find_backend(p.name);
      std::vector<std::vector<std::uint32_t>> refs;
      for (const rules::StickRule& sr : shared->stick_rules()) {
        auto* t = static_cast<stick::StickTable*>(const_cast<void*>(sr.table));
        auto& row = refs.emplace_back();
        for (const auto& s : be->servers()) {
          auto ref = t->server_ref(s->name(), s->id());
          if (!ref) return fail(cat(sr.origin.where(), ": stick: table '", t->name(), "' cannot name more servers"));
          row.push_back(*ref);
        }
      }
      be->set_stick_refs(std::move(refs));
    }
  }
  // TLS contexts: certificates and keys are read once, here (and so at -c).
  for (auto& fe : rt->frontends_) {
    std::vector<std::unique_ptr<tls::BindContext>> binds;
    for (const config::Bind& b : fe->config().binds) {
      if (!b.tls.enabled) {
        binds.push_back(nullptr);
        continue;
      }
      if (fe->mode() != config::Mode::http)
        return fail(cat(b.origin.where(), ": bind: 'ssl' is supported in mode http only (TLS in mode tcp is not yet)"));
      auto ctx = tls::BindContext::create(b.tls, cfg.global, b.origin, &rt->warnings_);
      if (!ctx) return std::unexpected(ctx.error());
      binds.push_back(std::move(*ctx));
    }
    fe->set_bind_tls(std::move(binds));
  }
  for (auto& be : rt->backends_)
    for (const auto& sv : be->servers()) {
      const config::ServerTls& t = sv->config().params.tls;
      if (!t.enabled && !t.check_ssl) continue;
      auto ctx = tls::ServerContext::create(t, cfg.global, sv->config().origin, resolver, workers);
      if (!ctx) return std::unexpected(ctx.error());
      sv->set_tls(std::move(*ctx));
    }
  std::uint32_t maxconn = cfg.global.maxconn;
  if (maxconn == 0) {
    // As HAProxy: what the open-file limit allows, two descriptors per
    // connection (client and server) and some room for the rest.
    rlimit rl{};
    std::uint64_t files = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    if (cfg.global.ulimit_n) files = cfg.global.ulimit_n;
    maxconn = static_cast<std::uint32_t>(files > 200 ? (files - 100) / 2 : 50);
  }
  rt->maxconn_ = maxconn;
  return rt;
}

Backend* Runtime::find_backend(std::string_view name) const {
  for (const auto& b : backends_)
    if (b->name() == name) return b.get();
  return nullptr;
}

const rules::Userlist* Runtime::find_userlist(std::string_view name) const {
  for (const auto& u : userlists_)
    if (u->name() == name) return u.get();
  return nullptr;
}

stick::StickTable* Runtime::find_table(std::string_view name) const {
  for (const auto& t : tables_)
    if (t->name() == name) return t.get();
  return nullptr;
}

std::vector<std::string> Runtime::table_names() const {
  std::vector<std::string> out;
  for (const auto& t : tables_) out.push_back(t->name());
  return out;
}

Frontend* Runtime::find_frontend(std::string_view name) const {
  for (const auto& f : frontends_)
    if (f->name() == name) return f.get();
  return nullptr;
}

}  // namespace tandem::balancer::runtime
