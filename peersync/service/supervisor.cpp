#include "peersync/service/supervisor.h"

#include "common/log.h"
#include "common/strings.h"
#include "peersync/config/parser.h"
#include "peersync/config/reload_plan.h"

namespace tandem::peersync {

namespace {

bool same_material(const TlsMaterial& a, const TlsMaterial& b) {
  return a.enabled == b.enabled && a.cert == b.cert && a.key == b.key && a.ca == b.ca;
}

}  // namespace

Supervisor::Supervisor(config::Config cfg, TlsMaterial tls, const Clock& clock)
    : cfg_(std::move(cfg)),
      tls_(std::move(tls)),
      clock_(clock),
      peers_(cfg_.peers, LinkTimers{}),
      balancer_(cfg_.balancer_socket) {}

Supervisor::~Supervisor() { stop(); }

Result<void> Supervisor::start(InboundService::StatusSource status) {
  std::lock_guard lock(reload_mu_);
  server_ = std::make_unique<PeerServer>(PeerServer::Deps{
      .options = {.node = cfg_.node, .tls = tls_.enabled, .limits = {}, .dead_after = LinkTimers{}.dead_after},
      .peers = peers_,
      .balancer = balancer_,
      .clock = clock_,
      .status = std::move(status),
      .peer_up = [this](const std::string& peer) { redial(peer); }});
  if (auto r = server_->start(cfg_.listen, tls_); !r) return r;
  for (const auto& e : peers_.all()) start_driver(e, e->peer, tls_);
  return {};
}

void Supervisor::start_driver(const std::shared_ptr<PeerEntry>& entry, const config::Peer& target,
                              const TlsMaterial& tls) {
  auto d = std::make_unique<OutboundDriver>(cfg_.node, entry, target, balancer_, tls, clock_,
                                            [this] { return peers_.names(); });
  d->start();
  std::lock_guard lock(drivers_mu_);
  drivers_[target.name] = std::move(d);
}

void Supervisor::stop_driver(const std::string& name) {
  std::unique_ptr<OutboundDriver> d;
  {
    std::lock_guard lock(drivers_mu_);
    auto it = drivers_.find(name);
    if (it == drivers_.end()) return;
    d = std::move(it->second);
    drivers_.erase(it);
  }
  d->stop();  // joins its threads: never under drivers_mu_, which inbound handlers take
}

void Supervisor::redial(const std::string& name) {
  std::lock_guard lock(drivers_mu_);
  if (auto it = drivers_.find(name); it != drivers_.end()) it->second->redial_now();
}

Result<ClusterService::ReloadOutcome> Supervisor::reload() {
  std::lock_guard lock(reload_mu_);
  if (stopped_) return fail("tandem-peersync is stopping");
  auto refuse = [](std::string why) -> Result<ClusterService::ReloadOutcome> {
    log::alert("reload refused, the running configuration stays: ", why);
    return fail(std::move(why));
  };
  auto next = config::load(cfg_.file);
  if (!next) return refuse(next.error().message);
  auto material = load_tls(next->tls);
  if (!material) return refuse(cat(cfg_.file, ": tls: ", material.error().message));
  config::ReloadPlan plan = config::plan_reload(cfg_, *next, !same_material(*material, tls_));

  ClusterService::ReloadOutcome out;
  out.kept = plan.kept;
  // The port first: TLS files that cannot serve refuse the whole reload
  // before any link changed.
  if (plan.tls_changed) {
    if (auto r = server_->restart(cfg_.listen, *material, tls_); !r) return refuse(cat(cfg_.file, ": tls: ", r.error().message));
    out.applied.push_back(material->enabled ? "tls: new certificate, key or CA; the peer port re-opened, every link re-dials"
                                            : "tls: off; the peer port re-opened, every link re-dials");
  }
  for (const std::string& name : plan.removed) {
    stop_driver(name);
    peers_.remove(name);
    out.applied.push_back(cat("peer ", name, ": removed, its links stopped"));
  }
  for (const config::Peer& p : plan.readdressed) {
    auto e = peers_.find(p.name);
    std::string was;
    {
      std::lock_guard elock(e->mu);
      was = e->peer.address.text();
    }
    stop_driver(p.name);
    peers_.readdress(p);
    start_driver(e, p, *material);
    out.applied.push_back(cat("peer ", p.name, ": address ", was, " -> ", p.address.text(), ", re-dialled"));
  }
  for (const config::Peer& p : plan.added) {
    start_driver(peers_.add(p), p, *material);
    out.applied.push_back(cat("peer ", p.name, " ", p.address.text(), ": added"));
  }
  if (plan.tls_changed) {
    // Every link not just (re)started dials again with the new material.
    for (const auto& e : peers_.all()) {
      bool fresh = false;
      for (const auto& p : plan.added) fresh |= p.name == e->name;
      for (const auto& p : plan.readdressed) fresh |= p.name == e->name;
      if (fresh) continue;
      config::Peer target;
      {
        std::lock_guard elock(e->mu);
        target = e->peer;
      }
      stop_driver(e->name);
      start_driver(e, target, *material);
    }
  }
  // Where-lines (FILE:LINE) of unchanged peers follow the new file.
  for (const config::Peer& p : plan.effective.peers) peers_.readdress(p);
  if (cluster_) cluster_->set_peers(plan.effective.peers, *material);
  cfg_ = std::move(plan.effective);
  tls_ = std::move(*material);

  for (const std::string& k : out.kept) log::warning("reload: ", k);
  if (out.applied.empty()) {
    log::notice("reloaded ", cfg_.file, ": no link changed");
  } else {
    for (const std::string& a : out.applied) log::notice("reload: ", a);
    log::notice("reloaded ", cfg_.file, ": ", out.applied.size(), " change(s) applied, other links untouched");
  }
  return out;
}

void Supervisor::stop() {
  std::lock_guard lock(reload_mu_);
  if (stopped_) return;
  stopped_ = true;
  std::vector<std::string> names;
  {
    std::lock_guard dlock(drivers_mu_);
    for (const auto& [n, d] : drivers_) names.push_back(n);
  }
  for (const auto& n : names) stop_driver(n);
  if (server_) server_->shutdown(Millis(500));
}

}  // namespace tandem::peersync
