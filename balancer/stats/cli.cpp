#include "balancer/stats/cli.h"

#include <unistd.h>

#include "balancer/health/checker.h"
#include "balancer/stats/cli_tables.h"
#include "balancer/stats/show_info.h"
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
    {"clear table <table> [key <k>]", "remove an entry from a table (all when no key)", CliLevel::user},
    {"set table <table> key <k> [data.* <v>]*", "update or create a table entry's data", CliLevel::operator_},
    {"show table <table> [<filter>]*", "report table usage stats or dump this table's contents (filter: data/key)", CliLevel::user},
    {"show cli level", "display the level of the current CLI session", CliLevel::user},
    {"show info [desc|json|typed]*", "report information about the running process", CliLevel::user},
    {"show servers state [<backend>]", "dump volatile server information (all or for a single backend)", CliLevel::user},
    {"show sess", "report a summary of the current sessions", CliLevel::operator_},
    {"show stat [desc|json|no-maint|typed|up]*", "report counters for each proxy and server", CliLevel::user},
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

// `show stat [domain proxy] [{IID|PROXY} TYPE SID] [typed|json] [desc] [up|no-maint]`,
// as HAProxy reads it: the three selectors come together or not at all; TYPE
// is a sum of 1 (frontends), 2 (backends), 4 (servers), -1 for all; SID -1
// for every server.
struct StatQuery {
  enum class Format { csv, typed, json } format = Format::csv;
  bool bound = false;
  long long iid = -1, type = -1, sid = -1;
  bool up_only = false, no_maint = false;
  bool desc = false;  // typed lines end with the field's description
};

long long int_arg(std::string_view s) {
  long long v = 0;
  return parse_int(s, v) ? v : 0;  // HAProxy's atoi: anything else reads as 0
}

StatQuery parse_stat_query(std::vector<std::string_view> a, const runtime::Runtime& rt, std::string& err) {
  StatQuery q;
  size_t i = 0;
  if (a.size() >= 2 && a[0] == "domain") {
    if (a[1] != "proxy") {
      err = "Invalid statistics domain.\n";
      return q;
    }
    i = 2;
  }
  if (a.size() >= i + 3) {
    q.bound = true;
    const runtime::Frontend* fe = rt.find_frontend(a[i]);
    const runtime::Backend* be = rt.find_backend(a[i]);
    q.iid = fe ? fe->config().id : be ? be->config().id : int_arg(a[i]);
    if (q.iid == 0) {
      err = "No such proxy.\n";
      return q;
    }
    q.type = int_arg(a[i + 1]);
    q.sid = int_arg(a[i + 2]);
    i += 3;
  }
  for (; i < a.size(); ++i) {
    if (a[i] == "typed") q.format = StatQuery::Format::typed;
    else if (a[i] == "json") q.format = StatQuery::Format::json;
    else if (a[i] == "up") q.up_only = true;
    else if (a[i] == "no-maint") q.no_maint = true;
    else if (a[i] == "desc") q.desc = true;  // printed by the typed form only, as HAProxy
    // Other words are ignored, as HAProxy does.
  }
  return q;
}

std::vector<StatRow> select_rows(std::vector<StatRow> rows, const StatQuery& q) {
  std::erase_if(rows, [&](const StatRow& r) {
    if (q.bound) {
      if (q.iid != -1 && static_cast<long long>(r.num(Col::iid)) != q.iid) return true;
      long long bit = r.type == ObjType::frontend ? 1 : r.type == ObjType::backend ? 2 : 4;
      if (q.type != -1 && !(q.type & bit)) return true;
      if (r.type == ObjType::server && q.sid != -1 && static_cast<long long>(r.num(Col::sid)) != q.sid) return true;
    }
    if (r.type != ObjType::server) return false;
    const std::string& st = r.str(Col::status);
    if (q.up_only && (st.starts_with("DOWN") || st.starts_with("MAINT"))) return true;  // stopped servers
    if (q.no_maint && st.starts_with("MAINT")) return true;
    return false;
  });
  return rows;
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
      // show info [json|typed|desc]*: the last format word wins; desc adds
      // each field's description (not to the JSON form, as HAProxy).
      auto fields = info_fields(*src_);
      std::string_view format;
      bool desc = false;
      for (std::size_t i = 2; i < w.size(); ++i) {
        if (w[i] == "json" || w[i] == "typed") format = w[i];
        else if (w[i] == "desc") desc = true;
      }
      if (format == "json") return render_info_json(fields);
      if (format == "typed") return render_info_typed(fields, desc);
      return render_info(fields, desc);
    }
    if (w[1] == "stat") {
      std::string err;
      StatQuery q = parse_stat_query(std::vector<std::string_view>(w.begin() + 2, w.end()), src_->runtime(), err);
      if (!err.empty()) return err;
      auto rows = select_rows(src_->rows(), q);
      if (q.format == StatQuery::Format::json) return render_json(rows);
      if (q.format == StatQuery::Format::typed) return render_typed(rows, q.desc);
      return render_csv(rows);
    }
    if (w[1] == "servers" && w.size() >= 3 && w[2] == "state") {  // any level, as HAProxy
      return show_servers_state(w.size() > 3 ? w[3] : std::string_view());
    }
    if (w[1] == "sess") {
      if (!need(CliLevel::operator_)) return std::string(denied);
      return show_sess();
    }
    if (w[1] == "cli" && w.size() == 3 && w[2] == "level") return cat(level_name(level_), '\n');
    if (w[1] == "table") {
      if (!src_->sticks()) return "No such table\n";
      return cli_show_table(src_->runtime(), *src_->sticks(), std::vector<std::string_view>(w.begin() + 2, w.end()),
                            need(CliLevel::operator_));
    }
  }
  if ((w[0] == "clear" || w[0] == "set") && w.size() >= 2 && w[1] == "table") {
    // HAProxy checks the level per action: a user's `clear table T` clears
    // nothing, a user's `clear table T key K` and `set table` are refused.
    if (w[0] == "set" && !need(CliLevel::operator_)) return std::string(denied);
    if (!src_->sticks()) return "No such table\n";
    std::vector<std::string_view> args(w.begin() + 2, w.end());
    return w[0] == "clear" ? cli_clear_table(src_->runtime(), *src_->sticks(), args, need(CliLevel::operator_))
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
           hchk_number(cs, checked), ' ', result, ' ', checked ? r.num(Col::check_health) : s.config().params.rise, ' ', checked ? 6 : 0, " 0 0 0 - ",
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
