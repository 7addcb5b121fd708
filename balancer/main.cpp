// tandem-balancer: an HAProxy-class L4/L7 load balancer.
#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <asio/steady_timer.hpp>
#include <functional>
#include <future>
#include <asio/post.hpp>
#include <random>
#include <thread>

#include "balancer/admin/admin_service.h"
#include "balancer/admin/stick_tables_service.h"
#include "balancer/stick/stick_registry.h"
#include "balancer/stick/stick_time.h"
#include "balancer/config/parser.h"
#include "balancer/logging/traffic_log.h"
#include "balancer/net/socket_transfer.h"
#include "balancer/proxy/balancer.h"
#include "balancer/stats/cli_server.h"
#include "balancer/stats/stats_source.h"
#include "common/daemon_main.h"
#include "common/grpc/daemon_runtime.h"
#include "common/log.h"
#include "common/strings.h"
#include "common/version.h"

using namespace tandem;

namespace {

const DaemonSpec kSpec{
    .name = "tandem-balancer",
    .summary = "HAProxy-class L4/L7 load balancer; reads HAProxy's configuration language.",
    .default_config = "/etc/tandem/balancer.cfg",
    .default_socket = "/run/tandem/balancer.sock",
    .multiple_configs = true,
    .flags = {{"-db", "stay in the foreground even with `daemon` (HAProxy's -db)"},
              {"-Ws", "systemd mode: foreground, sd_notify (HAProxy's -Ws)"},
              {"-D", "go to the background (as `daemon`)"},
              {"-x", "binary upgrade: take the listening sockets of the running process from its stats socket "
                     "(`expose-fd listeners`)", "SOCKET"},
              {"-sf", "binary upgrade: once serving, tell these processes to stop softly (SIGUSR1): they stop "
                      "accepting and finish their connections", "PID..."}},
};

// Raises the open-file limit to what the configuration asks (ulimit-n), or to
// the hard limit: every connection costs two descriptors.
Result<void> raise_file_limit(const balancer::config::Global& g) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return fail(cat("getrlimit: ", std::strerror(errno)));
  rlim_t want = g.ulimit_n ? g.ulimit_n : rl.rlim_max;
  if (want > rl.rlim_max && g.ulimit_n) return fail(cat("ulimit-n ", g.ulimit_n, " is above the hard limit ", rl.rlim_max));
  rl.rlim_cur = want;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) return fail(cat("setrlimit: ", std::strerror(errno)));
  return {};
}

// chroot, then the group and the user: after every socket is open.
Result<void> drop_privileges(const balancer::config::Global& g) {
  uid_t uid = 0;
  gid_t gid = 0;
  bool set_uid = false, set_gid = false;
  if (!g.user.empty()) {
    passwd* pw = getpwnam(g.user.c_str());
    if (!pw) return fail(cat("user '", g.user, "' does not exist"));
    uid = pw->pw_uid;
    gid = pw->pw_gid;
    set_uid = set_gid = true;
  }
  if (!g.group.empty()) {
    group* gr = getgrnam(g.group.c_str());
    if (!gr) return fail(cat("group '", g.group, "' does not exist"));
    gid = gr->gr_gid;
    set_gid = true;
  }
  if (!g.chroot.empty()) {
    if (::chroot(g.chroot.c_str()) != 0 || ::chdir("/") != 0)
      return fail(cat("chroot ", g.chroot, ": ", std::strerror(errno)));
  }
  if (set_gid) {
    if (::setgroups(0, nullptr) != 0 && errno != EPERM) return fail(cat("setgroups: ", std::strerror(errno)));
    if (::setgid(gid) != 0) return fail(cat("setgid ", gid, ": ", std::strerror(errno)));
  }
  if (set_uid && ::setuid(uid) != 0) return fail(cat("setuid ", uid, ": ", std::strerror(errno)));
  return {};
}

// Random per process start: a restarted balancer is a new history for
// replication (see proto Cursor).
std::string new_instance_id() {
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 4; ++i) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", rd());
    id += buf;
  }
  return id;
}

std::string node_name(const balancer::config::Global& g) {
  if (!g.node.empty()) return g.node;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = begin_daemon(kSpec, argc, argv);
  if (!args) return args.error();
  // -c runs the same pipeline as a start, up to binding: parse, then build
  // the runtime (which compiles rules and resolves every name).
  auto cfg = balancer::config::load(args->config_files);
  Result<void> loaded = cfg ? Result<void>{} : std::unexpected(cfg.error());
  std::vector<std::string> warnings;
  if (cfg) {
    warnings = cfg->warnings;
    // A throw-away registry: checking a file touches no live table.
    balancer::stick::StickRegistry scratch({.node = "check", .instance_id = "check", .log_capacity = 1024});
    auto probe = balancer::runtime::Runtime::build(*cfg, 1, scratch);
    if (!probe) loaded = std::unexpected(probe.error());
    else if (auto lf = balancer::logging::check_log_formats(**probe); !lf) loaded = std::unexpected(lf.error());
    else warnings.insert(warnings.end(), (*probe)->warnings().begin(), (*probe)->warnings().end());
  }
  if (loaded && args->check_only)
    for (const std::string& w : warnings) std::fprintf(stderr, "[WARNING] %s\n", w.c_str());
  if (auto code = finish_config_check(kSpec, *args, loaded)) return *code;
  for (const std::string& w : warnings) log::warning(w);

  if (auto r = raise_file_limit(cfg->global); !r) {
    log::alert(r.error().message);
    return kExitConfig;
  }
  unsigned threads = cfg->global.nbthread ? cfg->global.nbthread : std::max(1u, std::thread::hardware_concurrency());
  // The process's stick tables: they outlive reloads (install() keeps a table
  // whose definition did not change) and feed peersync through StickTables.
  const std::string instance_id = new_instance_id();
  balancer::stick::StickRegistry sticks({.node = node_name(cfg->global), .instance_id = instance_id});
  balancer::admin::EventBus events;
  const balancer::stats::ProcessInfo stats_info{.name = "Tandem",
                                                .version = kVersion,
                                                .node = node_name(cfg->global),
                                                .threads = threads,
                                                .pid = static_cast<int>(::getpid())};
  // What every generation of the configuration gets besides its runtime: the
  // stats source, the event stream's listeners, its traffic logs (each
  // frontend's targets opened now: at start before chroot, so that /dev/log
  // is reachable).
  balancer::proxy::Balancer::Wire wire = [&](balancer::proxy::Generation& g) -> Result<void> {
    namespace pb = tandem::balancer::v1;
    g.stats = std::make_unique<balancer::stats::StatsSource>(*g.runtime, g.checker.get(), stats_info);
    g.stats->set_sticks(&sticks);
    g.stats->set_change_listener(
        [&events](balancer::runtime::Server& s, balancer::runtime::ServerState before, std::string_view who) {
          auto pb_state = [](balancer::runtime::ServerState st) {
            switch (st) {
              case balancer::runtime::ServerState::up: return pb::SERVER_STATE_UP;
              case balancer::runtime::ServerState::down: return pb::SERVER_STATE_DOWN;
              case balancer::runtime::ServerState::maint: return pb::SERVER_STATE_MAINT;
              case balancer::runtime::ServerState::drain: return pb::SERVER_STATE_DRAIN;
              case balancer::runtime::ServerState::nolb: return pb::SERVER_STATE_NOLB;
            }
            return pb::SERVER_STATE_UNSPECIFIED;
          };
          pb::BalancerEvent e;
          e.set_unix_ms(unix_ms(std::chrono::system_clock::now()));
          auto* c = e.mutable_server();
          c->set_backend(s.backend().name());
          c->set_server(s.name());
          c->set_from(pb_state(before));
          c->set_to(pb_state(s.state()));
          c->set_reason(cat("changed by an operator through ", who));
          events.publish(e);
          log::notice("Server ", s.display_name(), " is ", balancer::runtime::state_name(s.state()),
                      ", changed by an operator through ", who);
        });
    g.runtime->set_stats(g.stats.get());
    g.checker->set_listener([&events](balancer::runtime::Server& s, bool up, const balancer::health::CheckResult& r) {
      pb::BalancerEvent e;
      e.set_unix_ms(unix_ms(std::chrono::system_clock::now()));
      auto* c = e.mutable_server();
      c->set_backend(s.backend().name());
      c->set_server(s.name());
      c->set_from(up ? pb::SERVER_STATE_DOWN : pb::SERVER_STATE_UP);
      c->set_to(up ? pb::SERVER_STATE_UP : pb::SERVER_STATE_DOWN);
      c->set_reason(cat(balancer::health::status_description(r.status), r.code ? cat(", code: ", r.code) : ""));
      events.publish(e);
    });
    for (const auto& fe : g.runtime->frontends()) {
      auto tl = balancer::logging::TrafficLog::create(fe->config(), g.runtime->global(),
                                                      balancer::logging::sample_resolver(*g.runtime, fe->name()));
      if (!tl) return std::unexpected(tl.error());
      fe->set_traffic_log(tl->get());
      if (*tl) g.logs.push_back(std::move(*tl));
    }
    return {};
  };
  auto balancer = balancer::proxy::Balancer::create(*cfg, threads, sticks, wire);
  if (!balancer) {
    log::alert(balancer.error().message);
    return kExitConfig;
  }
  balancer::proxy::Balancer& lb = **balancer;
  if (lb.listeners() == 0) {
    log::alert("no listener: the configuration has no 'bind' line; refusing to start (as HAProxy)");
    return kExitConfig;
  }
  // A binary upgrade: the old process's very sockets (same queues: no
  // connection waiting in one is lost when it stops accepting). Without them
  // the new process still starts: SO_REUSEPORT lets it bind beside the old.
  for (const std::string& path : args->values_of("-x")) {
    auto got = balancer::net::fetch_sockets(path);
    if (!got) {
      log::warning("-x: ", got.error().message, "; binding new sockets instead");
      continue;
    }
    log::notice("-x: ", got->size(), " listening socket(s) taken over from ", path);
    lb.adopt(std::move(*got));
  }
  if (auto r = lb.bind(); !r) {
    log::alert(r.error().message);
    return kExitConfig;
  }

  // `daemon` forks to the background unless systemd (-Ws) or -db keeps us in
  // the foreground. Forking must happen before any thread exists.
  bool background = (cfg->global.daemon || args->has("-D")) && !args->has("-db") && !args->has("-Ws");
  if (background) {
    if (::daemon(0, 0) != 0) {
      log::alert("daemon: ", std::strerror(errno));
      return kExitConfig;
    }
  }

  sticks.retain(lb.current()->runtime->table_names());
  // A reload (SIGHUP, Admin.Reload) runs on the control thread: read the
  // files again, check them whole, swap (balancer.h). Returns the error, or
  // "" when the new configuration serves.
  DaemonRuntime* control = nullptr;
  balancer::admin::AdminService* admin = nullptr;
  auto reload_now = [&]() -> std::string {
    namespace pb = tandem::balancer::v1;
    std::string error;
    auto next = balancer::config::load(args->config_files);
    if (!next) {
      error = next.error().message;
    } else {
      for (const std::string& w : next->warnings) log::warning(w);
      auto report = lb.reload(*next);
      if (!report) {
        error = report.error().message;
      } else {
        for (const std::string& w : report->warnings) log::warning(w);
        log::notice("reloaded: configuration ", report->generation, " serves; listeners ", report->listeners_kept,
                    " kept, ", report->listeners_opened, " opened, ", report->listeners_closed, " closed; servers ",
                    report->servers_matched, " found again (", report->admin_states_kept, " admin states, ",
                    report->weights_kept, " weights, ", report->health_kept, " health states kept); ",
                    lb.retiring(), " older configuration(s) finishing their connections");
      }
    }
    if (!error.empty()) log::alert("reload failed, the running configuration stays: ", error);
    std::int64_t now = unix_ms(std::chrono::system_clock::now());
    if (admin) admin->note_reload(error.empty(), error, now);
    pb::BalancerEvent e;
    e.set_unix_ms(now);
    e.mutable_reload()->set_ok(error.empty());
    e.mutable_reload()->set_error(error);
    events.publish(e);
    return error;
  };
  // Admin.Reload arrives on a gRPC thread: the reload itself runs on the
  // control thread, like SIGHUP's.
  auto reload_from_rpc = [&]() -> std::string {
    if (!control) return "the balancer is starting";
    auto done = std::make_shared<std::promise<std::string>>();
    std::future<std::string> result = done->get_future();
    asio::post(control->io(), [done, &reload_now] { done->set_value(reload_now()); });
    if (result.wait_for(std::chrono::seconds(120)) != std::future_status::ready) return "the reload is taking too long";
    try {
      return result.get();
    } catch (const std::future_error&) {
      return "the balancer is stopping";  // the control loop ended first
    }
  };
  balancer::admin::AdminService admin_service(
      [&lb] { return lb.current(); }, reload_from_rpc, events, sticks,
      balancer::admin::ProcessInfo{node_name(cfg->global), instance_id,
                                   unix_ms(std::chrono::system_clock::now()), cfg->files, threads});
  admin = &admin_service;
  // The stats page, the runtime API and the Prometheus exporter read the
  // generation serving now.
  balancer::stats::StatsProvider stats_now = [&lb] {
    auto g = lb.current();
    return std::shared_ptr<balancer::stats::StatsSource>(g, g->stats.get());
  };
  // `stats socket`: bound before privileges are dropped, like the listeners.
  auto cli = balancer::stats::CliServer::open(cfg->global, stats_now);
  if (!cli) {
    log::alert(cli.error().message);
    return kExitConfig;
  }
  balancer::admin::StickTablesService stick_service(sticks, SystemClock::instance());
  (*cli)->set_socket_source([&lb] { return lb.listening_sockets(); });
  const std::vector<std::string> replaced = args->values_of("-sf");
  auto rt = DaemonRuntime::start({.name = "tandem-balancer",
                                  .args = &*args,
                                  .services = {&admin_service, &stick_service},
                                  .health_names = {"tandem.balancer.v1.Admin"},
                                  .take_over_socket = !replaced.empty(),
                                  .soft_stop = true});
  if (!rt) {
    log::alert("cannot start: ", rt.error().message);
    return kExitConfig;
  }
  control = rt->get();
  if (auto r = drop_privileges(cfg->global); !r) {
    log::alert(r.error().message);
    return kExitConfig;
  }
  lb.start();
  (*cli)->start();
  // Ready: listeners bound, configuration loaded, and no `monitor fail`
  // condition holding (e.g. `monitor fail if { nbsrv(app) lt 1 }`): the peer
  // takes the VIP when this node cannot serve. Re-evaluated every 100 ms on
  // the control thread.
  asio::steady_timer readiness_timer((*rt)->io());
  std::function<void()> check_readiness;
  bool last_ready = false;
  bool first = true;
  check_readiness = [&] {
    std::string why;
    auto g = lb.current();
    for (const auto& fe : g->runtime->frontends()) {
      if (!fe->rules().has_monitor_fail()) continue;
      balancer::rules::EvalContext ctx;
      ctx.rt = g->runtime.get();
      ctx.fe = fe.get();
      ctx.be = fe->default_backend();
      if (fe->rules().monitor_fails(ctx)) {
        why = cat("monitor fail holds in frontend ", fe->name());
        break;
      }
    }
    g.reset();
    bool ready = why.empty();
    if (first || ready != last_ready) {
      (*rt)->health().set_status(ready ? grpc::health::v1::HealthCheckResponse::SERVING
                                       : grpc::health::v1::HealthCheckResponse::NOT_SERVING);
      admin_service.set_ready(ready, why);
      if (!first || !ready) log::notice(ready ? std::string("ready: serving") : cat("not ready: ", why));
      namespace pb = tandem::balancer::v1;
      pb::BalancerEvent e;
      e.set_unix_ms(unix_ms(std::chrono::system_clock::now()));
      e.mutable_readiness()->set_ready(ready);
      e.mutable_readiness()->set_reason(why);
      events.publish(e);
    }
    last_ready = ready;
    first = false;
    // Stick-table upkeep on the same tick: expired entries reclaimed (with a
    // budget: never a stop-the-world scan), pending changes numbered into the
    // change log so that pending lists stay short when nobody watches.
    sticks.maintain(balancer::stick::stick_now(SystemClock::instance()));
    // Old configurations: released when their last connection ends, or
    // ended by hard-stop-after.
    lb.maintain();
    if (lb.finished()) {
      log::notice("soft stop: the last connection ended");
      (*rt)->stop();
      return;
    }
    readiness_timer.expires_after(std::chrono::milliseconds(100));
    readiness_timer.async_wait([&](const asio::error_code& ec) {
      if (!ec) check_readiness();
    });
  };
  check_readiness();
  // Serving, and the health service says so (vrrpd's watch moves here when
  // the old process hands over): the processes this one replaces may stop
  // accepting now.
  for (const std::string& p : replaced) {
    char* end = nullptr;
    long pid = std::strtol(p.c_str(), &end, 10);
    if (!end || *end || pid <= 1) {
      log::warning("-sf: '", p, "' is not a process id");
      continue;
    }
    if (::kill(static_cast<pid_t>(pid), SIGUSR1) != 0) log::warning("-sf: process ", pid, ": ", std::strerror(errno));
    else log::notice("-sf: asked process ", pid, " to stop softly");
  }
  // Per-second rates for the stats page (sessions and requests per second).
  asio::steady_timer rates_timer((*rt)->io());
  std::function<void()> sample_rates = [&] {
    lb.current()->stats->sample_rates();
    rates_timer.expires_after(std::chrono::seconds(1));
    rates_timer.async_wait([&](const asio::error_code& ec) {
      if (!ec) sample_rates();
    });
  };
  sample_rates();
  log::notice("started: ", lb.listeners(), " listener(s), ", threads, " thread(s), maxconn ",
              lb.current()->runtime->maxconn());
  (*rt)->run({.reload = [&] { (void)reload_now(); },
              .soft_stop =
                  [&] {
                    lb.soft_stop();
                    // Replaced by a new process (-sf): vrrpd's health watch
                    // moves to it without seeing this one go. A soft stop
                    // with no successor ends as a stop does (NOT_SERVING).
                    if ((*rt)->admin().socket_replaced()) (*rt)->health().hand_over();
                  },
              .stop = [&] {
                readiness_timer.cancel();
                rates_timer.cancel();
                (*cli)->stop();
                stick_service.shutdown();
                lb.stop();
              }});
  return kExitOk;
}
