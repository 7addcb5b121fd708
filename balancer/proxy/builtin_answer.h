#pragma once
// Answers the balancer gives itself to HTTP requests: the stats page
// (`stats uri`) and `http-request use-service` services (the Prometheus
// exporter). The session asks here after the frontend's http-request rules;
// this keeps that logic out of the session's forwarding code.

#include <optional>
#include <string_view>

#include "balancer/config/model.h"
#include "balancer/rules/rule_set.h"
#include "balancer/runtime/runtime.h"
#include "balancer/stats/stats_page.h"

namespace tandem::balancer::proxy {

// The stats page of `proxy`, when the request is for it; nullopt otherwise.
// `body` is the request body (complete, for the admin form).
std::optional<stats::PageResponse> answer_stats_page(runtime::Runtime& rt, const config::Proxy& proxy,
                                                     const rules::RuleSet& rules, rules::EvalContext& ctx,
                                                     const http::RequestHead& req, std::string_view body);

// A `use-service` service's answer.
stats::PageResponse answer_service(runtime::Runtime& rt, std::string_view service, const http::RequestHead& req);

// Whether the request is for the stats page (the session reads the body first).
bool wants_stats_page(const config::Proxy& proxy, const runtime::Runtime& rt, const http::RequestHead& req);

}  // namespace tandem::balancer::proxy
