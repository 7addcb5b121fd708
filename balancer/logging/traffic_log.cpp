#include "balancer/logging/traffic_log.h"

#include <chrono>

#include "balancer/runtime/runtime.h"
#include "common/strings.h"

namespace tandem::balancer::logging {

Result<std::unique_ptr<TrafficLog>> TrafficLog::create(const config::Proxy& fe, const config::Global& g) {
  return create(fe, g, rules::Resolver{});
}

Result<std::unique_ptr<TrafficLog>> TrafficLog::create(const config::Proxy& fe, const config::Global& g,
                                                       const rules::Resolver& samples) {
  std::vector<config::LogTarget> targets = fe.logs;
  if (fe.log_global) targets.insert(targets.end(), g.logs.begin(), g.logs.end());
  std::string_view text = !fe.log_format.empty() ? std::string_view(fe.log_format)
                          : fe.httplog && fe.mode == config::Mode::http ? kHttpLogFormat
                          : fe.httplog || fe.tcplog                     ? kTcpLogFormat
                                                                        : kDefaultLogFormat;
  // Compiled even when nothing is logged: a format HAProxy would refuse is
  // refused here too (and the start agrees with -c).
  auto f = LogFormat::parse(text, fe.log_format.empty() ? fe.origin.where() : fe.log_format_origin.where(), &samples);
  if (!f) return std::unexpected(f.error());
  if (targets.empty()) return std::unique_ptr<TrafficLog>();
  std::unique_ptr<TrafficLog> t(new TrafficLog());
  t->format_ = std::move(*f);
  const LogSink::Header header = LogSink::header_for(fe, g);
  for (const config::LogTarget& lt : targets) {
    auto s = LogSink::open(lt, fe.origin.where(), header);
    if (!s) return std::unexpected(s.error());
    t->sinks_.push_back(std::move(*s));
  }
  // Request captures first, then response ones (each keeps its order).
  for (const config::Capture& c : fe.captures)
    if (c.request) t->captures_.push_back(c);
  t->n_req_caps_ = t->captures_.size();
  for (const config::Capture& c : fe.captures)
    if (!c.request) t->captures_.push_back(c);
  t->cookie_name_ = fe.capture_cookie;
  t->cookie_len_ = fe.capture_cookie_len;
  t->dontlognull_ = fe.dontlognull;
  t->separate_errors_ = fe.log_separate_errors;
  return t;
}

rules::Resolver sample_resolver(const runtime::Runtime& rt, std::string_view proxy) {
  const runtime::Runtime* self = &rt;
  rules::Resolver r;
  r.backend = [self](std::string_view n) -> const void* { return self->find_backend(n); };
  r.userlist = [self](std::string_view n) -> const void* { return self->find_userlist(n); };
  r.table = [self](std::string_view n) -> const void* { return self->find_table(n); };
  r.own_table = rt.find_table(proxy);
  return r;
}

Result<void> check_log_formats(const runtime::Runtime& rt) {
  for (const auto& fe : rt.frontends()) {
    const config::Proxy& p = fe->config();
    if (p.log_format.empty()) continue;
    rules::Resolver r = sample_resolver(rt, p.name);
    if (auto f = LogFormat::parse(p.log_format, p.log_format_origin.where(), &r); !f) return std::unexpected(f.error());
  }
  return {};
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
