#pragma once
// `capture cookie NAME len N`: which cookie a log line shows in %CC (from
// the request's Cookie headers) and %CS (from the response's Set-Cookie
// headers), read as HAProxy reads them. Pure.
//
// A header holds cookies "name=value" separated by ';' (or ',' in a
// request); spaces around names, '=' and values are dropped; a value may be
// quoted (a ';' inside quotes does not end it); a cookie without '=' and, in
// a request, an attribute starting with '$' are skipped. In a Set-Cookie
// header only the first pair is a cookie (the rest are its attributes).
// The capture is the first cookie whose "name=value" text begins with NAME
// (a prefix: NAME "SESS" also matches "SESSIONID=..."), cut to N bytes.

#include <cstddef>
#include <string>
#include <string_view>

namespace tandem::balancer::logging {

// Looks in one header's value; on a match writes the capture to `out` and
// returns true (`out` is left alone otherwise).
bool capture_cookie(std::string_view header_value, bool set_cookie, std::string_view prefix, std::size_t len,
                    std::string& out);

}  // namespace tandem::balancer::logging
