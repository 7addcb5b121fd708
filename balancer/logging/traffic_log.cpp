#include "balancer/logging/traffic_log.h"

#include <chrono>

#include "common/strings.h"

namespace tandem::balancer::logging {

Result<std::unique_ptr<TrafficLog>> TrafficLog::create(const config::Proxy& fe, const config::Global& g) {
  std::vector<config::LogTarget> targets = fe.logs;
  if (fe.log_global) targets.insert(targets.end(), g.logs.begin(), g.logs.end());
  if (targets.empty()) return std::unique_ptr<TrafficLog>();
  std::unique_ptr<TrafficLog> t(new TrafficLog());
  std::string_view text = !fe.log_format.empty() ? std::string_view(fe.log_format)
                          : fe.httplog && fe.mode == config::Mode::http ? kHttpLogFormat
                          : fe.httplog || fe.tcplog                     ? kTcpLogFormat
                                                                        : kDefaultLogFormat;
  auto f = LogFormat::parse(text, fe.log_format.empty() ? fe.origin.where() : fe.log_format_origin.where());
  if (!f) return std::unexpected(f.error());
  t->format_ = std::move(*f);
  for (const config::LogTarget& lt : targets) {
    auto s = LogSink::open(lt, fe.origin.where());
    if (!s) return std::unexpected(s.error());
    t->sinks_.push_back(std::move(*s));
  }
  // Request captures first, then response ones (each keeps its order).
  for (const config::Capture& c : fe.captures)
    if (c.request) t->captures_.push_back(c);
  t->n_req_caps_ = t->captures_.size();
  for (const config::Capture& c : fe.captures)
    if (!c.request) t->captures_.push_back(c);
  t->dontlognull_ = fe.dontlognull;
  t->separate_errors_ = fe.log_separate_errors;
  return t;
}

void TrafficLog::write(const RequestLog& r, bool error) const {
  // Per worker thread, reused: formatting allocates nothing once warm.
  thread_local std::string line;
  thread_local std::string framed;
  line.clear();
  format_.render(r, line);
  Severity sev = error && separate_errors_ ? Severity::err : Severity::info;
  std::int64_t now_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (const auto& s : sinks_)
    if (s->accepts(sev)) s->send(sev, line, now_us, framed);
}

}  // namespace tandem::balancer::logging
