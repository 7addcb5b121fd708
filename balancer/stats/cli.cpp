#include "balancer/stats/cli.h"

#include <unistd.h>

#include "balancer/health/checker.h"
#include "balancer/stats/cli_tables.h"
#include "common/strings.h"

namespace tandem::balancer::stats {

namespace {

struct CommandHelp {
  std::string_view usage;
  std::string_view text;
  CliLevel level;
};

// Listed by `help`, in HAProxy's wording (the subset Tandem implements).
constexpr CommandHelp kCommands[] = {
    {"disable server (DEPRECATED)", "disable a server for maintenance (use 'set server' instead)", CliLevel::admin},
    {"enable server  (DEPRECATED)", "enable a disabled server (use 'set server' instead)", CliLevel::admin},
    {"get weight <bk>/<srv>", "report a server's current weight", CliLevel::user},
    {"operator", "lower the level of the current CLI session to operator", CliLevel::admin},
    {"set server <bk>/<srv> [opts]", "change a server's state or weight", CliLevel::admin},
    {"set weight <bk>/<srv>  (DEPRECATED)", "change a server's weight (use 'set server' instead)", CliLevel::admin},
    {"clear table <table> [key <k>]", "remove an entry from a table (all when no key)", CliLevel::operator_},
    {"set table <table> key <k> [data.* <v>]*", "update or create a table entry's data", CliLevel::operator_},
    {"show table <table> [<filter>]*", "report table usage stats or dump this table's contents (filter: data/key)", CliLevel::user},
    {"show cli level", "display the level of the current CLI session", CliLevel::user},
    {"show info [json]", "report information about the running process", CliLevel::user},
    {"show servers state [<backend>]", "dump volatile server information (all or for a single backend)", CliLevel::operator_},
    {"show sess", "report a summary of the current sessions", CliLevel::operator_},
    {"show stat [json]", "report counters for each proxy and server", CliLevel::user},
    {"user", "lower the level of the current CLI session to user", CliLevel::operator_},
    {"help [<command>]", "list matching or all commands", CliLevel::user},
    {"prompt", "toggle interactive mode with prompt", CliLevel::user},
    {"quit", "disconnect", CliLevel::user},
};

std::vector<std::string_view> words_of(std::string_view s) {
  std::vector<std::string_view> w;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) w.push_back(s.substr(i, j - i));
    i = j;
  }
  return w;
}

std::string_view level_name(CliLevel l) {
  return l == CliLevel::admin ? "admin" : l == CliLevel::operator_ ? "operator" : "user";
}

// HAProxy's check status numbers (enum healthcheck_status) for `show servers state`.
int hchk_number(health::CheckStatus s, bool enabled) {
  if (!enabled) return 1;  // INI
  switch (s) {
    case health::CheckStatus::none: return 1;
    case health::CheckStatus::hana: return 4;
    case health::CheckStatus::l4ok: return 6;
    case health::CheckStatus::l4tout: return 7;
    case health::CheckStatus::l4con: return 8;
    case health::CheckStatus::l6ok: return 9;
    case health::CheckStatus::l6tout: return 10;
    case health::CheckStatus::l6rsp: return 11;
    case health::CheckStatus::l7tout: return 12;
    case health::CheckStatus::l7rsp: return 13;
    case health::CheckStatus::l7ok: return 14;
    case health::CheckStatus::l7okc: return 15;
    case health::CheckStatus::l7sts: return 16;
  }
  return 0;
}

std::string uptime_text(std::int64_t s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lldd %lldh%02lldm%02llds", static_cast<long long>(s / 86400),
                static_cast<long long>((s % 86400) / 3600), static_cast<long long>((s % 3600) / 60),
                static_cast<long long>(s % 60));
  return buf;
}

}  // namespace

std::optional<CliLevel> parse_cli_level(std::string_view s) {
  if (s == "user") return CliLevel::user;
  if (s == "operator") return CliLevel::operator_;
  if (s == "admin") return CliLevel::admin;
  return std::nullopt;
}

std::string CliSession::feed(std::string_view line, bool& close) {
  close = false;
  std::shared_ptr<StatsSource> hold = provider_();
  src_ = hold.get();
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  std::string out;
  // Commands separated by ';' (a "\;" is a literal semicolon).
  std::string cmd;
  auto flush = [&] {
    bool c = false;
    out += run(cmd, c);
    if (!c) out += '\n';  // `quit` ends without an answer
    close = close || c;
    cmd.clear();
  };
  bool any = false;
  for (size_t i = 0; i < line.size() && !close; ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == ';') {
      cmd += ';';
      ++i;
    } else if (line[i] == ';') {
      flush();
      any = true;
    } else {
      cmd += line[i];
    }
  }
  if (!close && (!cmd.empty() || !any)) flush();
  if (close) return out;
  if (interactive_) out += "> ";
  else close = true;
  return out;
}

std::string CliSession::run(std::string_view command, bool& close) {
  auto w = words_of(command);
  if (w.empty()) return "";
  auto need = [&](CliLevel l) { return level_ >= l; };
  const std::string_view denied = "Permission denied\n";
  if (w[0] == "quit") {
    close = true;
    return "";
  }
  if (w[0] == "prompt") {
    interactive_ = !interactive_;
    return "";
  }
  if (w[0] == "help") return help(w.size() > 1 ? command.substr(command.find(w[1])) : std::string_view());
  if (w[0] == "user" && w.size() == 1) {
    level_ = CliLevel::user;
    return "";
  }
  if (w[0] == "operator" && w.size() == 1) {
    if (!need(CliLevel::operator_)) return std::string(denied);
    level_ = CliLevel::operator_;
    return "";
  }
  if (w[0] == "show" && w.size() >= 2) {
    if (w[1] == "info") {
      if (w.size() > 2 && w[2] == "json") {
        std::string j = "[";
        bool first = true;
        std::string info = show_info();
        size_t pos = 0, n = 0;
        while (pos < info.size()) {
          size_t nl = info.find('\n', pos);
          std::string_view ln = std::string_view(info).substr(pos, nl - pos);
          pos = nl + 1;
          size_t colon = ln.find(": ");
          if (colon == std::string_view::npos) continue;
          append(j, first ? "" : ",", "\n{\"field\":{\"pos\":", n++, ",\"name\":\"", ln.substr(0, colon),
                 "\"},\"processNum\":1,\"value\":{\"type\":\"str\",\"value\":\"", ln.substr(colon + 2), "\"}}");
          first = false;
        }
        return j + "\n]\n";
      }
      return show_info();
    }
    if (w[1] == "stat") {
      auto rows = src_->rows();
      if (w.size() > 2 && w[2] == "json") return render_json(rows);
      return render_csv(rows);
    }
    if (w[1] == "servers" && w.size() >= 3 && w[2] == "state") {
      if (!need(CliLevel::operator_)) return std::string(denied);
      return show_servers_state(w.size() > 3 ? w[3] : std::string_view());
    }
    if (w[1] == "sess") {
      if (!need(CliLevel::operator_)) return std::string(denied);
      return show_sess();
    }
    if (w[1] == "cli" && w.size() == 3 && w[2] == "level") return cat(level_name(level_), '\n');
    if (w[1] == "table") {
      if (!src_->sticks()) return "No such table\n";
      return cli_show_table(src_->runtime(), *src_->sticks(), std::vector<std::string_view>(w.begin() + 2, w.end()));
    }
  }
  if ((w[0] == "clear" || w[0] == "set") && w.size() >= 2 && w[1] == "table") {
    if (!need(CliLevel::operator_)) return std::string(denied);
    if (!src_->sticks()) return "No such table\n";
    std::vector<std::string_view> args(w.begin() + 2, w.end());
    return w[0] == "clear" ? cli_clear_table(src_->runtime(), *src_->sticks(), args)
                           : cli_set_table(src_->runtime(), *src_->sticks(), args);
  }
  // Server commands: `disable server B/S`, `enable server B/S`,
  // `set server B/S state|weight V`, `set weight B/S V`, `get weight B/S`.
  auto split_server = [](std::string_view bs, std::string_view& b, std::string_view& s) {
    size_t slash = bs.find('/');
    if (slash == std::string_view::npos) return false;
    b = bs.substr(0, slash);
    s = bs.substr(slash + 1);
    return true;
  };
  std::string_view b, s;
  if ((w[0] == "disable" || w[0] == "enable") && w.size() >= 2 && w[1] == "server") {
    if (!need(CliLevel::admin)) return std::string(denied);
    if (w.size() != 3 || !split_server(w[2], b, s)) return "Require 'backend/server'.\n";
    auto r = src_->set_state(b, s, w[0] == "disable" ? StatsSource::Action::maint : StatsSource::Action::ready, "the runtime API");
    return r ? "" : r.error().message + "\n";
  }
  if (w[0] == "get" && w.size() >= 2 && w[1] == "weight") {
    if (w.size() != 3 || !split_server(w[2], b, s)) return "Require 'backend/server'.\n";
    runtime::Backend* be = src_->runtime().find_backend(b);
    runtime::Server* sv = be ? be->find_server(s) : nullptr;
    if (!sv) return "No such server.\n";
    return cat(sv->weight(), " (initial ", sv->configured_weight(), ")\n");
  }
  if (w[0] == "set" && w.size() >= 2 && (w[1] == "server" || w[1] == "weight")) {
    if (!need(CliLevel::admin)) return std::string(denied);
    if (w.size() < 3 || !split_server(w[2], b, s)) return "Require 'backend/server'.\n";
    if (w[1] == "weight") {
      if (w.size() != 4) return "Require <weight> or <weight%>.\n";
      auto r = src_->set_weight(b, s, w[3]);
      return r ? "" : r.error().message + "\n";
    }
    if (w.size() < 4) return "'set server <srv>' only supports 'agent', 'health', 'state', 'weight', 'addr', 'fqdn', 'check-addr', 'check-port' and 'ssl'.\n";
    if (w[3] == "weight") {
      if (w.size() != 5) return "Require <weight> or <weight%>.\n";
      auto r = src_->set_weight(b, s, w[4]);
      return r ? "" : r.error().message + "\n";
    }
    if (w[3] == "state") {
      StatsSource::Action a = StatsSource::Action::ready;
      if (w.size() == 5 && w[4] == "ready") a = StatsSource::Action::ready;
      else if (w.size() == 5 && w[4] == "drain") a = StatsSource::Action::drain;
      else if (w.size() == 5 && w[4] == "maint") a = StatsSource::Action::maint;
      else return "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n";
      auto r = src_->set_state(b, s, a, "the runtime API");
      return r ? "" : r.error().message + "\n";
    }
    return cat("'set server <srv> ", w[3], "' is not supported by Tandem (supported: state, weight).\n");
  }
  return unknown(w[0]);
}

std::string CliSession::help(std::string_view prefix) const {
  std::string out = prefix.empty() ? "The following commands are valid at this level:\n"
                                   : "Unknown command, but maybe one of the following ones is a better match:\n";
  bool any = false;
  for (const CommandHelp& c : kCommands) {
    if (level_ < c.level) continue;
    if (!prefix.empty() && !c.usage.starts_with(prefix.substr(0, prefix.find(' ')))) continue;
    char buf[256];
    std::snprintf(buf, sizeof buf, "  %-40s: %.*s\n", std::string(c.usage).c_str(), static_cast<int>(c.text.size()), c.text.data());
    out += buf;
    any = true;
  }
  if (!any) return help("");
  return out;
}

// HAProxy answers an unknown command with the commands that look closest;
// Tandem lists those starting with the same word, else all of them.
std::string CliSession::unknown(std::string_view first) const {
  std::string out = "Unknown command, but maybe one of the following ones is a better match:\n";
  std::string all;
  bool any = false;
  for (const CommandHelp& c : kCommands) {
    if (level_ < c.level) continue;
    char buf[256];
    std::snprintf(buf, sizeof buf, "  %-40s: %.*s\n", std::string(c.usage).c_str(), static_cast<int>(c.text.size()), c.text.data());
    all += buf;
    if (c.usage.starts_with(first) && c.usage.size() > first.size() && c.usage[first.size()] == ' ') {
      out += buf;
      any = true;
    }
  }
  return any ? out : out + all;
}

std::string CliSession::show_info() const {
  const ProcessInfo& pi = src_->process();
  runtime::Runtime& rt = src_->runtime();
  std::int64_t up = std::max<std::int64_t>(0, StatsSource::unix_s() - pi.start_unix_s);
  std::uint64_t conns = 0, reqs = 0, rate = 0, rate_max = 0;
  for (const StatRow& r : src_->rows()) {
    if (r.type != ObjType::frontend) continue;
    conns += r.num(Col::stot);
    reqs += r.num(Col::req_tot);
    rate += r.num(Col::rate);
    rate_max += r.num(Col::rate_max);
  }
  std::size_t listeners = 0;
  for (const auto& f : rt.frontends()) listeners += f->config().binds.size();
  std::string out;
  append(out, "Name: ", pi.name, "\nVersion: ", pi.version, "\nNbthread: ", pi.threads, "\nNbproc: 1\nProcess_num: 1\nPid: ",
         pi.pid, "\nUptime: ", uptime_text(up), "\nUptime_sec: ", up, "\n");
  if (pi.ulimit_n) append(out, "Ulimit-n: ", pi.ulimit_n, "\n");
  append(out, "Maxconn: ", rt.maxconn(), "\nHard_maxconn: ", rt.maxconn(), "\nCurrConns: ", src_->current_connections(),
         "\nCumConns: ", conns, "\nCumReq: ", reqs, "\nConnRate: ", rate, "\nConnRateLimit: 0\nMaxConnRate: ", rate_max,
         "\nSessRate: ", rate, "\nSessRateLimit: 0\nMaxSessRate: ", rate_max, "\nnode: ", pi.node,
         "\nStopping: 0\nListeners: ", listeners, "\nStart_time_sec: ", pi.start_unix_s, "\n");
  return out;
}

std::string CliSession::show_servers_state(std::string_view only) const {
  runtime::Runtime& rt = src_->runtime();
  if (!only.empty() && !rt.find_backend(only)) return "Can't find backend.\n";
  std::string out =
      "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight "
      "srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state "
      "bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr "
      "srv_agent_addr srv_agent_port\n";
  std::int64_t now = StatsSource::unix_s();
  for (const StatRow& r : src_->rows()) {
    if (r.type != ObjType::server || !r.server) continue;
    if (!only.empty() && r.str(Col::pxname) != only) continue;
    const runtime::Server& s = *r.server;
    const config::Proxy& be = s.backend().config();
    // SRV_ST_*: 0 stopped, 1 starting, 2 running, 3 stopping.
    int op = 0;
    switch (s.state()) {
      case runtime::ServerState::up: op = s.starting() ? 1 : 2; break;
      case runtime::ServerState::drain:
      case runtime::ServerState::nolb: op = 3; break;
      default: op = s.health_up() && s.admin_state() == runtime::AdminState::maint ? 2 : 0; break;
    }
    if (s.state() == runtime::ServerState::maint) op = s.health_up() ? 2 : 0;
    // SRV_ADMF_*: 0x01 forced maint, 0x04 maint from the configuration, 0x08 forced drain.
    int admin = s.admin_state() == runtime::AdminState::maint ? (s.config().params.disabled ? 0x04 : 0x01)
                : s.admin_state() == runtime::AdminState::drain ? 0x08
                                                                : 0;
    bool checked = !r[Col::check_status].empty();
    std::string st = r.str(Col::check_status);
    health::CheckStatus cs = health::CheckStatus::none;
    for (health::CheckStatus c : {health::CheckStatus::l4ok, health::CheckStatus::l4tout, health::CheckStatus::l4con,
                                  health::CheckStatus::l7ok, health::CheckStatus::l7okc, health::CheckStatus::l7tout,
                                  health::CheckStatus::l7rsp, health::CheckStatus::l7sts, health::CheckStatus::hana})
      if (health::status_code(c) == st) cs = c;
    // CHK_RES_*: 0 unknown, 2 failed, 3 passed, 4 conditionally passed.
    int result = !checked || cs == health::CheckStatus::none ? 0
                 : cs == health::CheckStatus::l7okc          ? 4
                 : health::status_passed(cs)                 ? 3
                                                             : 2;
    std::int64_t changed = s.last_change_unix_ms() ? s.last_change_unix_ms() / 1000 : src_->process().start_unix_s;
    append(out, stats::proxy_id(rt, be), ' ', be.name, ' ', s.id(), ' ', s.name(), ' ', s.config().address, ' ', op, ' ',
           admin, ' ', s.user_weight(), ' ', s.configured_weight(), ' ', std::max<std::int64_t>(0, now - changed), ' ',
           hchk_number(cs, checked), ' ', result, ' ', r.num(Col::check_health), ' ', checked ? 6 : 0, " 0 0 0 - ",
           s.config().port, " - ", s.config().params.tls.enabled ? 1 : 0, ' ', s.config().params.check_port, ' ',
           s.config().params.check_addr.empty() ? "-" : s.config().params.check_addr, " - 0\n");
  }
  return out;
}

// Tandem keeps no registry of individual sessions on the request path (that
// would cost a shared structure per connection); `show sess` reports the
// counts per frontend, backend and server instead.
std::string CliSession::show_sess() const {
  std::string out = cat("total: ", src_->current_connections(), " sessions\n");
  for (const StatRow& r : src_->rows()) {
    if (r.num(Col::scur) == 0) continue;
    append(out, r.type == ObjType::frontend ? "frontend " : r.type == ObjType::backend ? "backend " : "server ",
           r.str(Col::pxname), r.type == ObjType::server ? cat("/", r.str(Col::svname)) : "", ": ", r.num(Col::scur),
           " current\n");
  }
  return out;
}

}  // namespace tandem::balancer::stats
