#pragma once
// The Prometheus text exposition (format 0.0.4) that HAProxy's
// `prometheus-exporter` service answers, with the same metric names
// (haproxy_process_*, haproxy_frontend_*, haproxy_backend_*, haproxy_server_*),
// so existing dashboards and alerts keep working. Rendered from the same
// rows as the stats page.

#include <string>

#include "balancer/stats/stats_source.h"

namespace tandem::balancer::stats {

std::string render_prometheus(const StatsSource& src);
std::string render_prometheus(const StatsSource& src, const std::vector<StatRow>& rows);

}  // namespace tandem::balancer::stats
