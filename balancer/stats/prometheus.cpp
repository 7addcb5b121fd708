#include "balancer/stats/prometheus.h"

#include "balancer/stats/cli_tables.h"
#include "balancer/stick/stick_table.h"
#include "common/strings.h"

namespace tandem::balancer::stats {

namespace {

struct Metric {
  std::string_view name;  // after haproxy_<kind>_
  std::string_view type;  // gauge, counter
  Col col;
  std::string_view help;
};

// Metrics by object kind, in HAProxy's names.
constexpr Metric kFrontend[] = {
    {"current_sessions", "gauge", Col::scur, "Number of current sessions on the frontend."},
    {"max_sessions", "gauge", Col::smax, "Highest value of current sessions encountered since process started."},
    {"limit_sessions", "gauge", Col::slim, "Frontend sessions limit."},
    {"sessions_total", "counter", Col::stot, "Total number of sessions since process started."},
    {"max_session_rate", "gauge", Col::rate_max, "Highest value of sessions per second observed."},
    {"bytes_in_total", "counter", Col::bin, "Total number of request bytes since process started."},
    {"bytes_out_total", "counter", Col::bout, "Total number of response bytes since process started."},
    {"requests_denied_total", "counter", Col::dreq, "Total number of denied requests since process started."},
    {"request_errors_total", "counter", Col::ereq, "Total number of invalid requests since process started."},
    {"responses_denied_total", "counter", Col::dresp, "Total number of denied responses since process started"},
    {"connections_total", "counter", Col::conn_tot, "Total number of new connections accepted on this frontend since the worker process started"},
    {"connections_rate_max", "gauge", Col::conn_rate_max, "Highest value of connections per second observed since the worker process started"},
    {"denied_connections_total", "counter", Col::dcon, "Total number of incoming connections blocked on a listener/frontend by a tcp-request connection rule since the worker process started"},
    {"intercepted_requests_total", "counter", Col::intercepted, "Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started"},
    {"http_requests_total", "counter", Col::req_tot, "Total number of HTTP requests processed."},
    {"http_requests_rate_max", "gauge", Col::req_rate_max, "Highest value of HTTP requests observed."},
};
constexpr Metric kBackend[] = {
    {"current_queue", "gauge", Col::qcur, "Number of current queued connections."},
    {"current_sessions", "gauge", Col::scur, "Number of current sessions on the backend."},
    {"max_sessions", "gauge", Col::smax, "Highest value of current sessions encountered since process started."},
    {"limit_sessions", "gauge", Col::slim, "Backend sessions limit."},
    {"sessions_total", "counter", Col::stot, "Total number of sessions since process started."},
    {"bytes_in_total", "counter", Col::bin, "Total number of request bytes since process started."},
    {"bytes_out_total", "counter", Col::bout, "Total number of response bytes since process started."},
    {"requests_denied_total", "counter", Col::dreq, "Total number of denied requests since process started."},
    {"connection_errors_total", "counter", Col::econ, "Total number of failed connections to server since the worker process started."},
    {"response_errors_total", "counter", Col::eresp, "Total number of invalid responses since the worker process started."},
    {"retry_warnings_total", "counter", Col::wretr, "Total number of server connection retries since the worker process started."},
    {"redispatch_warnings_total", "counter", Col::wredis, "Total number of server redispatches due to connection failures since the worker process started."},
    {"responses_denied_total", "counter", Col::dresp, "Total number of denied responses since process started"},
    {"client_aborts_total", "counter", Col::cli_abrt, "Total number of requests or connections aborted by the client since the worker process started"},
    {"server_aborts_total", "counter", Col::srv_abrt, "Total number of requests or connections aborted by the server since the worker process started"},
    {"weight", "gauge", Col::weight, "Service weight."},
    {"active_servers", "gauge", Col::act, "Total number of active UP servers with a non-zero weight."},
    {"backup_servers", "gauge", Col::bck, "Total number of backup UP servers with a non-zero weight."},
    {"check_up_down_total", "counter", Col::chkdown, "Total number of failed checks causing UP to DOWN server transitions."},
    {"loadbalanced_total", "counter", Col::lbtot, "Total number of requests routed by load balancing since the worker process started."},
    {"http_requests_total", "counter", Col::req_tot, "Total number of HTTP requests processed."},
};
constexpr Metric kServer[] = {
    {"current_sessions", "gauge", Col::scur, "Number of current sessions on the server."},
    {"max_sessions", "gauge", Col::smax, "Highest value of current sessions encountered since process started."},
    {"limit_sessions", "gauge", Col::slim, "Server sessions limit."},
    {"sessions_total", "counter", Col::stot, "Total number of sessions since process started."},
    {"bytes_in_total", "counter", Col::bin, "Total number of request bytes since process started."},
    {"bytes_out_total", "counter", Col::bout, "Total number of response bytes since process started."},
    {"connection_errors_total", "counter", Col::econ, "Total number of failed connections to server since the worker process started."},
    {"response_errors_total", "counter", Col::eresp, "Total number of invalid responses since the worker process started."},
    {"retry_warnings_total", "counter", Col::wretr, "Total number of server connection retries since the worker process started."},
    {"redispatch_warnings_total", "counter", Col::wredis, "Total number of server redispatches due to connection failures since the worker process started."},
    {"responses_denied_total", "counter", Col::dresp, "Total number of denied responses since process started"},
    {"client_aborts_total", "counter", Col::cli_abrt, "Total number of requests or connections aborted by the client since the worker process started"},
    {"server_aborts_total", "counter", Col::srv_abrt, "Total number of requests or connections aborted by the server since the worker process started"},
    {"weight", "gauge", Col::weight, "Service weight."},
    {"check_failures_total", "counter", Col::chkfail, "Total number of failed individual health checks per server/backend, since the worker process started."},
    {"check_up_down_total", "counter", Col::chkdown, "Total number of failed checks causing UP to DOWN server transitions."},
    {"downtime_seconds_total", "counter", Col::downtime, "Total time spent in DOWN state, for server or backend."},
    {"check_duration_seconds", "gauge", Col::check_duration, "Total duration of the latest server health check, in seconds."},
    {"loadbalanced_total", "counter", Col::lbtot, "Total number of requests routed by load balancing since the worker process started."},
};

std::string label_value(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void family(std::string& out, std::string_view kind, const Metric& m, const std::vector<StatRow>& rows, ObjType type) {
  bool header = false;
  for (const StatRow& r : rows) {
    if (r.type != type || r[m.col].empty()) continue;
    if (!header) {
      append(out, "# HELP haproxy_", kind, '_', m.name, ' ', m.help, "\n# TYPE haproxy_", kind, '_', m.name, ' ', m.type, '\n');
      header = true;
    }
    append(out, "haproxy_", kind, '_', m.name, "{proxy=\"", label_value(r.str(Col::pxname)), '"');
    if (type == ObjType::server) append(out, ",server=\"", label_value(r.str(Col::svname)), '"');
    out += "} ";
    if (m.col == Col::check_duration) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(r.num(m.col)) / 1000.0);
      out += buf;
    } else {
      out += std::to_string(r.num(m.col));
    }
    out += '\n';
  }
}

void http_responses(std::string& out, std::string_view kind, const std::vector<StatRow>& rows, ObjType type) {
  static constexpr std::pair<Col, std::string_view> codes[] = {{Col::hrsp_1xx, "1xx"}, {Col::hrsp_2xx, "2xx"},
                                                                {Col::hrsp_3xx, "3xx"}, {Col::hrsp_4xx, "4xx"},
                                                                {Col::hrsp_5xx, "5xx"}, {Col::hrsp_other, "other"}};
  bool header = false;
  for (const StatRow& r : rows) {
    if (r.type != type || r[Col::hrsp_2xx].empty()) continue;
    if (!header) {
      append(out, "# HELP haproxy_", kind, "_http_responses_total Total number of HTTP responses.\n# TYPE haproxy_", kind,
             "_http_responses_total counter\n");
      header = true;
    }
    for (const auto& [c, name] : codes) {
      append(out, "haproxy_", kind, "_http_responses_total{proxy=\"", label_value(r.str(Col::pxname)), '"');
      if (type == ObjType::server) append(out, ",server=\"", label_value(r.str(Col::svname)), '"');
      append(out, ",code=\"", name, "\"} ", r.num(c), '\n');
    }
  }
}

// Status as HAProxy 2.6 exposes it: one series per possible state, 1 for the current.
void status(std::string& out, std::string_view kind, const std::vector<StatRow>& rows, ObjType type,
            std::initializer_list<std::string_view> states) {
  bool header = false;
  for (const StatRow& r : rows) {
    if (r.type != type) continue;
    if (!header) {
      append(out, "# HELP haproxy_", kind, "_status Current status of the service.\n# TYPE haproxy_", kind, "_status gauge\n");
      header = true;
    }
    std::string cur = r.str(Col::status);
    cur = cur.substr(0, cur.find(' '));  // "UP 1/3" -> "UP"
    if (cur == "no" || cur == "OPEN") cur = "UP";  // "no check": up, unchecked; a frontend is OPEN
    for (std::string_view s : states) {
      append(out, "haproxy_", kind, "_status{proxy=\"", label_value(r.str(Col::pxname)), '"');
      if (type == ObjType::server) append(out, ",server=\"", label_value(r.str(Col::svname)), '"');
      append(out, ",state=\"", s, "\"} ", cur == s ? 1 : 0, '\n');
    }
  }
}

// Stick tables, as HAProxy 2.6's exporter: size and entries in use, labelled
// by table name and key type.
void sticktables(std::string& out, const runtime::Runtime& rt) {
  std::vector<const stick::StickTable*> tables;
  for (const std::string& n : rt.table_names())
    if (const stick::StickTable* t = rt.find_table(n)) tables.push_back(t);
  if (tables.empty()) return;
  auto labels = [&](const stick::StickTable& t) {
    return cat("{name=\"", label_value(t.name()), "\",type=\"", table_key_type(t.def()), "\"} ");
  };
  out += "# HELP haproxy_sticktable_size Stick table size.\n# TYPE haproxy_sticktable_size gauge\n";
  for (const stick::StickTable* t : tables) append(out, "haproxy_sticktable_size", labels(*t), t->def().size, '\n');
  out += "# HELP haproxy_sticktable_used Number of entries used in this stick table.\n# TYPE haproxy_sticktable_used gauge\n";
  for (const stick::StickTable* t : tables) append(out, "haproxy_sticktable_used", labels(*t), t->entries(), '\n');
}

}  // namespace

std::string render_prometheus(const StatsSource& src) { return render_prometheus(src, src.rows()); }

std::string render_prometheus(const StatsSource& src, const std::vector<StatRow>& rows) {
  std::string out;
  const ProcessInfo& pi = src.process();
  std::int64_t now = StatsSource::unix_s();
  auto gauge = [&](std::string_view name, std::string_view help, std::string_view type, std::uint64_t v) {
    append(out, "# HELP haproxy_process_", name, ' ', help, "\n# TYPE haproxy_process_", name, ' ', type,
           "\nhaproxy_process_", name, ' ', v, '\n');
  };
  append(out, "# HELP haproxy_process_build_info Build info\n# TYPE haproxy_process_build_info gauge\n",
         "haproxy_process_build_info{version=\"", label_value(pi.version), "\"} 1\n");
  gauge("nbthread", "Number of started threads (global.nbthread)", "gauge", pi.threads);
  gauge("start_time_seconds", "Start time in seconds", "gauge", static_cast<std::uint64_t>(pi.start_unix_s));
  gauge("uptime_seconds", "How long ago this worker process was started (seconds)", "gauge",
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - pi.start_unix_s)));
  gauge("max_connections", "Maximum number of concurrent connections (global.maxconn)", "gauge", src.runtime().maxconn());
  gauge("current_connections", "Number of active sessions", "gauge", src.current_connections());
  std::uint64_t conns = 0, reqs = 0;
  for (const StatRow& r : rows)
    if (r.type == ObjType::frontend) {
      conns += r.num(Col::stot);
      reqs += r.num(Col::req_tot);
    }
  gauge("connections_total", "Total number of created sessions", "counter", conns);
  gauge("requests_total", "Total number of requests (TCP or HTTP)", "counter", reqs);

  status(out, "frontend", rows, ObjType::frontend, {"UP", "DOWN"});
  for (const Metric& m : kFrontend) family(out, "frontend", m, rows, ObjType::frontend);
  http_responses(out, "frontend", rows, ObjType::frontend);
  status(out, "backend", rows, ObjType::backend, {"UP", "DOWN"});
  for (const Metric& m : kBackend) family(out, "backend", m, rows, ObjType::backend);
  http_responses(out, "backend", rows, ObjType::backend);
  status(out, "server", rows, ObjType::server, {"UP", "DOWN", "MAINT", "DRAIN", "NOLB"});
  for (const Metric& m : kServer) family(out, "server", m, rows, ObjType::server);
  http_responses(out, "server", rows, ObjType::server);
  sticktables(out, src.runtime());
  return out;
}

}  // namespace tandem::balancer::stats
