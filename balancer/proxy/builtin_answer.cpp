#include "balancer/proxy/builtin_answer.h"

#include "balancer/http/status.h"
#include "balancer/stats/prometheus.h"
#include "common/strings.h"

namespace tandem::balancer::proxy {

bool wants_stats_page(const config::Proxy& proxy, const runtime::Runtime& rt, const http::RequestHead& req) {
  return rt.stats() && stats::is_stats_request(proxy.stats, req.target);
}

std::optional<stats::PageResponse> answer_stats_page(runtime::Runtime& rt, const config::Proxy& proxy,
                                                     const rules::RuleSet& rules, rules::EvalContext& ctx,
                                                     const http::RequestHead& req, std::string_view body) {
  if (!wants_stats_page(proxy, rt, req)) return std::nullopt;
  stats::PageRequest pr;
  pr.method = req.method_text;
  pr.target = req.target;
  if (const http::Header* h = req.find("authorization")) pr.authorization = h->value;
  pr.body = body;
  pr.admin_allowed = rules.stats_admin_allowed(ctx);
  if (rules.has_stats_access_rules()) {
    rules::RuleSet::StatsAccess a = rules.stats_access(ctx);
    using V = rules::RuleSet::StatsAccess::Verdict;
    using A = stats::PageRequest::Access;
    pr.access = a.verdict == V::allow ? A::allow : a.verdict == V::deny ? A::deny : a.verdict == V::auth ? A::auth : A::none;
    pr.realm = a.realm;
  }
  // A retired runtime (after a reload) keeps no connection: the client's
  // next request belongs to the new configuration.
  pr.keep_alive = req.wants_keep_alive() && !rt.retired();
  return stats::serve_stats(proxy.stats, pr, *rt.stats());
}

stats::PageResponse answer_service(runtime::Runtime& rt, std::string_view service, const http::RequestHead& req) {
  if (service == "prometheus-exporter" && rt.stats()) {
    std::string body = stats::render_prometheus(*rt.stats());
    bool keep = req.wants_keep_alive() && !rt.retired();
    std::string r = cat("HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: text/plain; version=0.0.4\r\n"
                        "content-length: ", body.size(), "\r\n", keep ? "" : "connection: close\r\n", "\r\n", body);
    return {200, std::move(r), !keep};
  }
  return {503, http::make_error_response(503, true), true};
}

}  // namespace tandem::balancer::proxy
