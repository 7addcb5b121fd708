// tandem-balancer: an HAProxy-class L4/L7 load balancer.
#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <asio/steady_timer.hpp>
#include <functional>
#include <random>
#include <thread>

#include "balancer/admin/admin_service.h"
#include "balancer/admin/stick_tables_service.h"
#include "balancer/stick/stick_registry.h"
#include "balancer/stick/stick_time.h"
#include "balancer/config/parser.h"
#include "balancer/logging/traffic_log.h"
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
              {"-D", "go to the background (as `daemon`)"}},
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
  auto balancer = balancer::proxy::Balancer::create(*cfg, threads, sticks);
  if (!balancer) {
    log::alert(balancer.error().message);
    return kExitConfig;
  }
  if ((*balancer)->listeners() == 0) {
    log::alert("no listener: the configuration has no 'bind' line; refusing to start (as HAProxy)");
    return kExitConfig;
  }
  if (auto r = (*balancer)->bind(); !r) {
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

  balancer::admin::EventBus events;
  sticks.retain((*balancer)->runtime().table_names());
  balancer::admin::AdminService admin_service(
      (*balancer)->runtime(), (*balancer)->checker(), events, sticks,
      balancer::admin::ProcessInfo{node_name(cfg->global), instance_id,
                                   unix_ms(std::chrono::system_clock::now()), cfg->files, threads});
  (*balancer)->checker().set_listener([&events](balancer::runtime::Server& s, bool up, const balancer::health::CheckResult& r) {
    namespace pb = tandem::balancer::v1;
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
  // The stats page, the runtime API and the Prometheus exporter read this.
  balancer::stats::StatsSource stats_source(
      (*balancer)->runtime(), &(*balancer)->checker(),
      balancer::stats::ProcessInfo{.name = "Tandem",
                                   .version = kVersion,
                                   .node = node_name(cfg->global),
                                   .threads = threads,
                                   .pid = static_cast<int>(::getpid())});
  stats_source.set_change_listener(
      [&events](balancer::runtime::Server& s, balancer::runtime::ServerState before, std::string_view who) {
        namespace pb = tandem::balancer::v1;
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
        log::notice("Server ", s.display_name(), " is ", balancer::runtime::state_name(s.state()), ", changed by an operator through ", who);
      });
  stats_source.set_sticks(&sticks);
  // Traffic logs: each frontend's targets opened now (before chroot, so
  // that /dev/log is reachable), formats compiled.
  std::vector<std::unique_ptr<balancer::logging::TrafficLog>> traffic_logs;
  for (const auto& fe : (*balancer)->runtime().frontends()) {
    auto tl = balancer::logging::TrafficLog::create(
        fe->config(), cfg->global, balancer::logging::sample_resolver((*balancer)->runtime(), fe->name()));
    if (!tl) {
      log::alert(tl.error().message);
      return kExitConfig;
    }
    fe->set_traffic_log(tl->get());
    if (*tl) traffic_logs.push_back(std::move(*tl));
  }
  (*balancer)->runtime().set_stats(&stats_source);
  // `stats socket`: bound before privileges are dropped, like the listeners.
  auto cli = balancer::stats::CliServer::open(cfg->global, stats_source);
  if (!cli) {
    log::alert(cli.error().message);
    return kExitConfig;
  }
  balancer::admin::StickTablesService stick_service(sticks, SystemClock::instance());
  auto rt = DaemonRuntime::start({.name = "tandem-balancer",
                                  .args = &*args,
                                  .services = {&admin_service, &stick_service},
                                  .health_names = {"tandem.balancer.v1.Admin"}});
  if (!rt) {
    log::alert("cannot start: ", rt.error().message);
    return kExitConfig;
  }
  if (auto r = drop_privileges(cfg->global); !r) {
    log::alert(r.error().message);
    return kExitConfig;
  }
  (*balancer)->start();
  (*cli)->start();
  // Listeners are bound and the configuration is loaded: ready.
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
    for (const auto& fe : (*balancer)->runtime().frontends()) {
      if (!fe->rules().has_monitor_fail()) continue;
      balancer::rules::EvalContext ctx;
      ctx.rt = &(*balancer)->runtime();
      ctx.fe = fe.get();
      ctx.be = fe->default_backend();
      if (fe->rules().monitor_fails(ctx)) {
        why = cat("monitor fail holds in frontend ", fe->name());
        break;
      }
    }
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
    readiness_timer.expires_after(std::chrono::milliseconds(100));
    readiness_timer.async_wait([&](const asio::error_code& ec) {
      if (!ec) check_readiness();
    });
  };
  check_readiness();
  // Per-second rates for the stats page (sessions and requests per second).
  asio::steady_timer rates_timer((*rt)->io());
  std::function<void()> sample_rates = [&] {
    stats_source.sample_rates();
    rates_timer.expires_after(std::chrono::seconds(1));
    rates_timer.async_wait([&](const asio::error_code& ec) {
      if (!ec) sample_rates();
    });
  };
  sample_rates();
  log::notice("started: ", (*balancer)->listeners(), " listener(s), ", threads, " thread(s), maxconn ",
              (*balancer)->runtime().maxconn());
  (*rt)->run({.reload = {}, .stop = [&] {
                 readiness_timer.cancel();
                 rates_timer.cancel();
                 (*cli)->stop();
                 stick_service.shutdown();
                 (*balancer)->stop();
               }});
  return kExitOk;
}
