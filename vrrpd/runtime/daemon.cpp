#include "vrrpd/runtime/daemon.h"

#include "common/log.h"
#include "common/strings.h"
#include "vrrpd/packet/codec.h"

namespace tandem::vrrpd::runtime {

namespace {

std::string link_detail(const std::optional<netlink::LinkInfo>& l) {
  if (!l) return "not found";
  if (!l->admin_up) return "down";
  if (!l->carrier) return "no carrier";
  return "up";
}

}  // namespace

Daemon::Daemon(DaemonDeps deps, Prepared prepared) : deps_(std::move(deps)), notify_(deps_.runner), startup_(deps_.io) {
  std::weak_ptr<bool> alive = alive_;
  deps_.links.subscribe([this, alive](const netlink::LinkInfo& l) {
    if (!alive.expired()) on_link(l);
  });
  build(std::move(prepared), {});
}

Daemon::~Daemon() {
  startup_.cancel();
  for (auto& [n, m] : members_)
    if (m.balancer) m.balancer->stop();
  for (auto& [n, s] : scripts_) s->stop();
}

void Daemon::build(Prepared prepared, const std::set<std::string>& keep) {
  const Prepared old = std::move(prepared_);
  prepared_ = std::move(prepared);
  const config::Config& cfg = prepared_.cfg;

  // Scripts: an unchanged one keeps running (and keeps its verdict).
  std::map<std::string, std::unique_ptr<track::ScriptCheck>> scripts;
  for (const config::Script& s : cfg.scripts) {
    const track::RunRequest& req = prepared_.scripts.at(s.name);
    auto it = scripts_.find(s.name);
    if (it != scripts_.end() && it->second->script() == s && old.scripts.contains(s.name) &&
        old.scripts.at(s.name) == req) {
      scripts.emplace(s.name, std::move(it->second));
      continue;
    }
    auto check = std::make_unique<track::ScriptCheck>(deps_.io, deps_.runner, s, req);
    std::weak_ptr<bool> alive = alive_;
    check->subscribe([this, alive] {
      if (alive.expired()) return;
      recompute();
      maybe_start();
    });
    if (running_) check->start();
    scripts.emplace(s.name, std::move(check));
  }
  for (auto& [name, s] : scripts_)
    if (s) s->stop();
  scripts_ = std::move(scripts);

  for (auto it = members_.begin(); it != members_.end();)
    it = keep.contains(it->first) ? std::next(it) : members_.erase(it);
  for (const config::Instance& i : cfg.instances)
    if (!members_.contains(i.name)) add_instance(i);

  open_sockets();
  recompute();
  maybe_start();
}

void Daemon::add_instance(const config::Instance& cfg) {
  Member m;
  RouterDeps rd{deps_.io, deps_.clock, deps_.links, deps_.addresses, deps_.announcer, notify_};
  std::weak_ptr<bool> alive = alive_;
  m.router = std::make_unique<VirtualRouter>(rd, cfg, prepared_.instance_notify[cfg.name],
                                             [this, alive](VirtualRouter& r, const TransitionRecord& rec) {
                                               if (!alive.expired()) on_transition(r, rec);
                                             });
  if (cfg.track_balancer) m.balancer = make_balancer_tracker(cfg);
  if (auto link = deps_.links.find(cfg.interface)) m.router->on_link(*link);
  members_.emplace(cfg.name, std::move(m));
}

std::unique_ptr<track::BalancerTracker> Daemon::make_balancer_tracker(const config::Instance& cfg) {
  if (!cfg.track_balancer) return nullptr;
  auto t = std::make_unique<track::BalancerTracker>(
      deps_.io, *cfg.track_balancer, deps_.watch_factory(cfg.track_balancer->socket, cfg.track_balancer->watch_timeout),
      &deps_.prober);
  std::weak_ptr<bool> alive = alive_;
  t->subscribe([this, alive] {
    if (alive.expired()) return;
    recompute();
    maybe_start();
  });
  if (running_) t->start();
  return t;
}

void Daemon::start() {
  running_ = true;
  remove_leftovers();
  apply_accept_filter();
  for (auto& [n, s] : scripts_) s->start();
  for (auto& [n, m] : members_)
    if (m.balancer) m.balancer->start();
  const auto delay = prepared_.cfg.global.startup_delay;
  if (delay.count() == 0) {
    startup_done_ = true;
    maybe_start();
    return;
  }
  log::notice("vrrp_startup_delay: instances start in ", delay.count() / 1000, " ms");
  std::weak_ptr<bool> alive = alive_;
  startup_.expires_after(delay);
  startup_.async_wait([this, alive](asio::error_code ec) {
    if (ec || alive.expired()) return;
    startup_done_ = true;
    maybe_start();
  });
}

void Daemon::remove_leftovers() {
  // A previous run killed with -9 could not remove its VIPs: a backup holding
  // them would answer for them next to the real master.
  for (auto& [n, m] : members_)
    for (const auto& a : m.router->assignments())
      if (auto r = deps_.addresses.remove(a); !r) log::warning("(", n, ") ", r.error().message);
}

void Daemon::stop() {
  running_ = false;
  startup_.cancel();
  for (auto& [n, m] : members_) {
    if (m.balancer) m.balancer->stop();
    m.router->stop();
  }
  for (auto& [n, s] : scripts_) s->stop();
  if (auto r = deps_.accept_filter.apply({}); !r) log::error(r.error().message);
}

void Daemon::apply_accept_filter() {
  // RFC 5798 §6.4.3: the owner always accepts; accept mode lets others too.
  std::vector<IpAddress> drop;
  for (const config::Instance& i : prepared_.cfg.instances) {
    if (i.accept || i.priority == packet::kPriorityOwner) continue;
    for (const auto* list : {&i.vips, &i.vips_excluded})
      for (const auto& v : *list) drop.push_back(v.prefix.address);
  }
  if (auto r = deps_.accept_filter.apply(drop); !r) log::error("no_accept: ", r.error().message);
}

void Daemon::reload(Prepared p) {
  // Three outcomes per instance: unchanged (untouched), the same virtual
  // router with new parameters (updated in place: no transition, the VIPs
  // stay where they are), or a new identity (stopped and started again).
  std::set<std::string> keep, in_place;
  for (const config::Instance& now : p.cfg.instances) {
    const config::Instance* was = prepared_.cfg.instance(now.name);
    if (!was || !members_.contains(now.name)) continue;
    bool scripts_same = true;
    for (const auto& t : now.track_scripts) {
      const config::Script* a = prepared_.cfg.script(t.name);
      const config::Script* b = p.cfg.script(t.name);
      scripts_same = scripts_same && a && b && *a == *b && prepared_.scripts.at(t.name) == p.scripts.at(t.name);
    }
    if (*was == now && scripts_same) {
      keep.insert(now.name);
    } else if (config::same_identity(*was, now)) {
      keep.insert(now.name);
      in_place.insert(now.name);
    }
  }
  for (auto& [name, m] : members_) {
    if (keep.contains(name)) continue;
    log::notice("(", name, ") reload: ", p.cfg.instance(name) ? "new identity (interface, VRID or VIPs): restarting" : "removed");
    if (m.balancer) m.balancer->stop();
    m.router->stop();
  }
  build(std::move(p), keep);
  for (const std::string& name : in_place) {
    Member& m = members_.at(name);
    const config::Instance& cfg = *prepared_.cfg.instance(name);
    if (m.router->config().track_balancer != cfg.track_balancer) {
      // The new tracker has no verdict yet: recompute() holds the
      // instance's last one until it has (see held()).
      if (m.balancer) m.balancer->stop();
      m.balancer = make_balancer_tracker(cfg);
    }
    m.router->reconfigure(cfg, prepared_.instance_notify[name]);
    log::notice("(", name, ") reload: updated in place, still ", fsm::state_name(m.router->state()));
  }
  if (!in_place.empty()) recompute();
  if (running_) apply_accept_filter();
  log::notice("reloaded: ", members_.size(), " vrrp_instance(s), ", keep.size() - in_place.size(), " unchanged, ",
              in_place.size(), " updated in place");
}

Result<std::vector<std::string>> Daemon::failover(const std::string& instance) {
  if (!instance.empty() && !members_.contains(instance)) return fail(cat("no vrrp_instance named '", instance, "'"));
  std::vector<std::string> released;
  for (auto& [name, m] : members_) {
    if (!instance.empty() && name != instance) continue;
    if (m.router->failover()) released.push_back(name);
  }
  return released;
}

void Daemon::on_link(const netlink::LinkInfo& link) {
  for (auto& [key, slot] : sockets_)
    if (key.first == link.name && slot.socket && slot.ifindex != link.ifindex && link.ifindex != 0) {
      log::notice("interface ", link.name, " was re-created: reopening its VRRP socket");
      slot.socket.reset();
    }
  open_sockets();
  for (auto& [n, m] : members_)
    if (m.router->config().interface == link.name) m.router->on_link(link);
  recompute();
}

void Daemon::open_sockets() {
  for (auto& [name, m] : members_) {
    const config::Instance& c = m.router->config();
    SocketKey key{c.interface, c.ipv6()};
    SocketSlot& slot = sockets_[key];
    if (!slot.socket) {
      auto link = deps_.links.find(c.interface);
      if (link && link->ifindex > 0) {
        auto s = deps_.open_socket(c.interface, link->ifindex, c.ipv6());
        if (!s) {
          log::error("(", name, ") ", c.interface, ": ", s.error().message);
        } else {
          slot.socket = std::move(*s);
          slot.ifindex = link->ifindex;
          std::weak_ptr<bool> alive = alive_;
          slot.socket->set_receiver([this, alive, key](const packet::Received& rx) {
            if (!alive.expired()) dispatch(key, rx);
          });
        }
      }
    }
    m.router->attach(slot.socket.get());
  }
}

void Daemon::dispatch(const SocketKey& key, const packet::Received& rx) {
  const auto vrid = packet::peek_vrid(rx.vrrp);
  bool delivered = false;
  for (auto& [n, m] : members_) {
    const config::Instance& c = m.router->config();
    if (c.interface != key.first || c.ipv6() != key.second) continue;
    if (vrid && c.vrid != *vrid) continue;
    m.router->on_packet(rx);  // without a VRID (too short) every instance drops it
    delivered = true;
  }
  if (delivered) return;
  for (auto& [n, m] : members_) {
    const config::Instance& c = m.router->config();
    if (c.interface == key.first && c.ipv6() == key.second) m.router->count_foreign(rx);
  }
}

std::vector<track::TrackerInput> Daemon::trackers_of(const Member& m) const {
  const config::Instance& c = m.router->config();
  std::vector<track::TrackerInput> in;
  if (c.track_primary) {
    auto l = deps_.links.find(c.interface);
    in.push_back({c.interface, track::TrackerKind::interface, 0, false, l && l->usable(), link_detail(l)});
  }
  for (const auto& t : c.track_interfaces) {
    auto l = deps_.links.find(t.name);
    in.push_back(
        {t.name, track::TrackerKind::interface, t.weight.value_or(0), t.reverse, l && l->usable(), link_detail(l)});
  }
  for (const auto& t : c.track_scripts) {
    const auto& check = *scripts_.at(t.name);
    const int weight = t.weight ? *t.weight : check.script().weight;
    const bool reverse = t.weight ? t.reverse : check.script().reverse;
    in.push_back({t.name, track::TrackerKind::script, weight, reverse, check.ok(), check.detail()});
  }
  if (m.balancer) {
    // "weight N: lower the priority by N" while failing; 0: FAULT.
    in.push_back({c.track_balancer->socket, track::TrackerKind::balancer, -c.track_balancer->weight, false,
                  m.balancer->ok(), m.balancer->detail()});
  }
  return in;
}

void Daemon::recompute() {
  std::map<std::string, track::Effective> own;
  std::map<std::string, std::pair<std::string, std::string>> group_fault;  // group -> (member, why)
  for (auto& [name, m] : members_) {
    auto e = track::combine(m.router->config().priority, trackers_of(m));
    const std::string& g = m.router->config().sync_group;
    if (e.fault && !g.empty() && !group_fault.contains(g)) group_fault[g] = {name, e.reason};
    own.emplace(name, std::move(e));
  }
  for (auto& [name, m] : members_) {
    track::Effective e = std::move(own.at(name));
    const std::string& g = m.router->config().sync_group;
    // keepalived: one member in FAULT puts the whole sync group in FAULT.
    if (!e.fault && group_fault.contains(g)) {
      e.fault = true;
      e.reason = cat("sync group ", g, ": ", group_fault[g].first, " is in FAULT (", group_fault[g].second, ")");
    }
    // A running instance whose trackers were replaced by a reload keeps its
    // last verdict until the new ones have a first: a reload is no reason
    // to change priority or state.
    if (m.router->started() && !trackers_known(m)) continue;
    const auto& before = m.router->health().shares;
    for (const auto& s : e.shares) {
      auto it = std::find_if(before.begin(), before.end(),
                             [&](const track::TrackerShare& b) { return b.input.name == s.input.name; });
      if (it == before.end() || it->input.ok != s.input.ok || it->delta != s.delta) emit(Event{name, false, {}, s});
    }
    m.router->set_health(e);
  }
}

bool Daemon::trackers_known(const Member& m) const {
  bool known = !m.balancer || m.balancer->known();
  for (const auto& t : m.router->config().track_scripts) known = known && scripts_.at(t.name)->known();
  return known;
}

void Daemon::maybe_start() {
  if (!running_ || !startup_done_) return;
  for (auto& [name, m] : members_)
    if (!m.router->started() && trackers_known(m)) m.router->start();
}

void Daemon::on_transition(VirtualRouter& r, const TransitionRecord& rec) {
  emit(Event{r.name(), true, rec, {}});
  const std::string& g = r.config().sync_group;
  if (g.empty()) return;
  const std::string word(fsm::state_name(rec.to));
  if (group_state_[g] != word && rec.to != fsm::State::init) {
    group_state_[g] = word;
    const NotifyRequests& n = prepared_.group_notify[g];
    const std::optional<track::RunRequest>* own = rec.to == fsm::State::master   ? &n.master
                                                  : rec.to == fsm::State::backup ? &n.backup
                                                  : rec.to == fsm::State::fault  ? &n.fault
                                                                                 : &n.stop;
    if (*own) notify_.push(**own);
    if (n.any) {
      track::RunRequest req = *n.any;
      req.argv.insert(req.argv.end(), {"GROUP", g, word, "0"});
      notify_.push(std::move(req));
    }
  }
  if (syncing_) return;
  std::optional<fsm::State> target;
  if (rec.to == fsm::State::master)
    target = fsm::State::master;
  else if (rec.to == fsm::State::backup && rec.from == fsm::State::master)
    target = fsm::State::backup;
  if (!target) return;
  syncing_ = true;
  for (auto& [name, m] : members_)
    if (name != r.name() && m.router->config().sync_group == g)
      m.router->sync_to(*target, cat("sync group ", g, ": ", r.name(), " became ", word));
  syncing_ = false;
}

void Daemon::emit(const Event& e) {
  for (const auto& l : listeners_) l(e);
}

Status Daemon::status() const {
  Status s;
  s.router_id = prepared_.cfg.global.router_id;
  for (const auto& [n, m] : members_) s.instances.push_back(m.router->status());
  return s;
}

}  // namespace tandem::vrrpd::runtime
