#pragma once
// The stats page served at `stats uri`: HTML for a person, `;csv` and
// `;json` for tools, and the admin form (`stats admin if COND`). Pure: a
// request in, a whole HTTP response out; the session writes it.

#include <string>
#include <string_view>

#include "balancer/config/model.h"
#include "balancer/stats/stats_source.h"

namespace tandem::balancer::stats {

// True when `target` is for the stats page (`stats uri` is a prefix, as in
// HAProxy: "/stats;csv" and "/stats?x" both are).
bool is_stats_request(const config::StatsPage& page, std::string_view target);

struct PageRequest {
  std::string_view method;         // "GET", "POST", ...
  std::string_view target;
  std::string_view authorization;  // the Authorization header, or empty
  std::string_view body;           // POST form (application/x-www-form-urlencoded)
  bool admin_allowed = false;      // a `stats admin` condition holds
  // What the `stats http-request` rules decided (the first that matched):
  // allow serves the page, deny answers 403, auth 401 with `realm` ("HAProxy
  // Statistics" when the rule names none); none: `stats auth` applies.
  enum class Access { none, allow, deny, auth } access = Access::none;
  std::string_view realm;
  bool keep_alive = true;          // the client may send another request
};

// The complete HTTP/1.1 response, and its status (for counters and logs).
struct PageResponse {
  int status = 200;
  std::string bytes;
  bool close = false;  // the bytes say `connection: close`: the session closes after them
};

PageResponse serve_stats(const config::StatsPage& page, const PageRequest& req, StatsSource& src);

// Decodes application/x-www-form-urlencoded values ("a+b%21" -> "a b!").
std::string form_decode(std::string_view s);

// "1d2h", "5m12s", "0s": the page's short durations.
std::string short_duration(std::uint64_t seconds);

// The HTML body alone (tests read it).
struct PageView {
  bool admin = false;
  bool refresh = true;
  std::string message;  // after an admin action ("Action processed successfully.")
};
std::string render_html(const config::StatsPage& page, const PageView& view, const std::vector<StatRow>& rows,
                        const StatsSource& src);

}  // namespace tandem::balancer::stats
