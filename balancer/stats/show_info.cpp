#include "balancer/stats/show_info.h"

#include <algorithm>

#include "balancer/runtime/frontend.h"
#include "balancer/runtime/runtime.h"
#include "balancer/stats/stats_source.h"
#include "common/strings.h"

namespace tandem::balancer::stats {

namespace {

std::string uptime_text(std::int64_t s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lldd %lldh%02lldm%02llds", static_cast<long long>(s / 86400),
                static_cast<long long>((s % 86400) / 3600), static_cast<long long>((s % 3600) / 60),
                static_cast<long long>(s % 60));
  return buf;
}

std::string_view origin_word(char c) {
  switch (c) {
    case 'K': return "Key";
    case 'M': return "Metric";
    case 'S': return "Status";
    case 'C': return "Config";
    case 'P': return "Product";
  }
  return "";
}

std::string_view nature_word(char c) {
  switch (c) {
    case 'A': return "Age";
    case 'a': return "Avg";
    case 'C': return "Counter";
    case 'D': return "Duration";
    case 'G': return "Gauge";
    case 'L': return "Limit";
    case 'M': return "Max";
    case 'N': return "Name";
    case 'O': return "Output";
    case 'R': return "Rate";
    case 'T': return "Time";
  }
  return "";
}

std::string_view scope_word(char c) {
  switch (c) {
    case 'C': return "Cluster";
    case 'P': return "Process";
    case 'S': return "Service";
    case 's': return "System";
  }
  return "";
}

}  // namespace

void append_json_tags(std::string& out, std::string_view tags) {
  if (tags.size() != 3) return;
  append(out, "\"tags\":{\"origin\":\"", origin_word(tags[0]), "\",\"nature\":\"", nature_word(tags[1]),
         "\",\"scope\":\"", scope_word(tags[2]), "\"}");
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

std::vector<InfoField> info_fields(const StatsSource& src) {
  const ProcessInfo& pi = src.process();
  runtime::Runtime& rt = src.runtime();
  std::int64_t up = std::max<std::int64_t>(0, StatsSource::unix_s() - pi.start_unix_s);
  std::uint64_t conns = 0, reqs = 0, rate = 0, rate_max = 0;
  for (const StatRow& r : src.rows()) {
    if (r.type != ObjType::frontend) continue;
    conns += r.num(Col::stot);
    reqs += r.num(Col::req_tot);
    rate += r.num(Col::rate);
    rate_max += r.num(Col::rate_max);
  }
  std::size_t listeners = 0;
  for (const auto& f : rt.frontends()) listeners += f->config().binds.size();
  auto n = [](auto v) { return std::to_string(v); };
  // Positions, tags, types and descriptions are HAProxy 2.6's (`show info typed desc`).
  std::vector<InfoField> f = {
      {0, "Name", "POS", "str", "Product name", pi.name},
      {1, "Version", "POS", "str", "Product version", pi.version},
      {3, "Nbthread", "CGS", "u32", "Number of started threads (global.nbthread)", n(pi.threads)},
      {4, "Nbproc", "CGS", "u32", "Number of started worker processes (historical, always 1)", "1"},
      {5, "Process_num", "KGP", "u32", "Relative worker process number (1)", "1"},
      {6, "Pid", "SGP", "u32", "This worker process identifier for the system", n(pi.pid)},
      {7, "Uptime", "MDP", "str", "How long ago this worker process was started (days+hours+minutes+seconds)", uptime_text(up)},
      {8, "Uptime_sec", "MDP", "u32", "How long ago this worker process was started (seconds)", n(up)},
  };
  if (pi.ulimit_n) f.push_back({13, "Ulimit-n", "CLP", "u32", "Hard limit on the number of per-process file descriptors", n(pi.ulimit_n)});
  std::vector<InfoField> rest = {
      {15, "Maxconn", "CLP", "u32", "Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)", n(rt.maxconn())},
      {16, "Hard_maxconn", "CLP", "u32", "Hard limit on the number of per-process connections (imposed by Memmax_MB or Ulimit-n)", n(rt.maxconn())},
      {17, "CurrConns", "MGP", "u32", "Current number of connections on this worker process", n(src.current_connections())},
      {18, "CumConns", "MCP", "u32", "Total number of connections on this worker process since started", n(conns)},
      {19, "CumReq", "MCP", "u32", "Total number of requests on this worker process since started", n(reqs)},
      {26, "ConnRate", "MRP", "u32", "Number of front connections created on this worker process over the last second", n(rate)},
      {27, "ConnRateLimit", "CLP", "u32", "Hard limit for ConnRate (global.maxconnrate)", "0"},
      {28, "MaxConnRate", "MMP", "u32", "Highest ConnRate reached on this worker process since started (in connections per second)", n(rate_max)},
      {29, "SessRate", "MRP", "u32", "Number of sessions created on this worker process over the last second", n(rate)},
      {30, "SessRateLimit", "CLP", "u32", "Hard limit for SessRate (global.maxsessrate)", "0"},
      {31, "MaxSessRate", "MRP", "u32", "Highest SessRate reached on this worker process since started (in sessions per second)", n(rate_max)},
      {50, "node", "COS", "str", "Node name (global.node)", pi.node},
      {52, "Stopping", "MGP", "u32", "1 if the worker process is currently stopping, otherwise zero", "0"},
      {55, "Listeners", "MGP", "u32", "Current number of active listeners on the current worker process", n(listeners)},
      {70, "Start_time_sec", "MDP", "u32", "Start time in seconds", n(pi.start_unix_s)},
  };
  f.insert(f.end(), rest.begin(), rest.end());
  return f;
}

std::string render_info(const std::vector<InfoField>& fields, bool desc) {
  std::string out;
  for (const InfoField& f : fields) {
    append(out, f.name, ": ", f.value);
    if (desc) append(out, ":\"", f.desc, '"');
    out += '\n';
  }
  return out;
}

std::string render_info_typed(const std::vector<InfoField>& fields, bool desc) {
  std::string out;
  for (const InfoField& f : fields) {
    append(out, f.pos, '.', f.name, ".1:", f.tags, ':', f.type, ':', f.value);
    if (desc) append(out, ":\"", f.desc, '"');
    out += '\n';
  }
  return out;
}

std::string render_info_json(const std::vector<InfoField>& fields) {
  std::string out = "[";
  bool first = true;
  for (const InfoField& f : fields) {
    append(out, first ? "" : ",", "{\"field\":{\"pos\":", f.pos, ",\"name\":\"", f.name, "\"},\"processNum\":1,");
    first = false;
    append_json_tags(out, f.tags);
    append(out, ",\"value\":{\"type\":\"", f.type, "\",\"value\":");
    if (f.type == "str") append_json_string(out, f.value);
    else out += f.value;
    out += "}}";
  }
  out += "]\n";
  return out;
}

}  // namespace tandem::balancer::stats
