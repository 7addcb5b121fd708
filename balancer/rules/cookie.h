#pragma once
// Persistence cookies (`cookie NAME insert|rewrite|prefix ...`), as pure
// functions over headers: what the client's cookie says on the way in, and
// what to set on the way out.
//
//  insert   the balancer sets NAME=<server's cookie> (with `maxidle`/
//           `maxlife`: NAME=<value>|<last seen>|<first seen>, seconds in
//           hex); `indirect` keeps it from the server; the server's own
//           NAME cookie is removed unless `preserve`.
//  rewrite  the server sets NAME; its value is replaced by the server's cookie.
//  prefix   the server's NAME value is prefixed "<server's cookie>~", and the
//           prefix is stripped from requests.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "balancer/config/model.h"
#include "balancer/http/message.h"
#include "balancer/rules/context.h"

namespace tandem::balancer::rules {

struct CookieSeen {
  std::string value;          // the server cookie value the client presented; empty: none
  bool valid = false;         // present and neither idle nor too old
  std::int64_t first_seen = 0;  // seconds since the epoch, from the date stamp (0: none)
  std::int64_t last_seen = 0;
};

// Reads the persistence cookie from `headers` and, as the mode says, strips
// it (indirect) or its prefix (prefix) before the request goes on. Rewritten
// header values are kept in `ctx`.
CookieSeen take_request_cookie(const config::CookieConfig& c, std::vector<http::Header>& headers, EvalContext& ctx,
                               std::int64_t now_s);

// Sets or rewrites Set-Cookie in a response served by a server whose cookie
// value is `server_cookie` (empty: that server has none).
void apply_response_cookie(const config::CookieConfig& c, const CookieSeen& seen, std::string_view server_cookie,
                           http::Method method, std::vector<http::Header>& headers, EvalContext& ctx, std::int64_t now_s);

}  // namespace tandem::balancer::rules
