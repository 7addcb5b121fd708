#pragma once
// Building the heads the proxy forwards. The parsed head's request or status
// line and headers are copied, minus the hop-by-hop headers (Connection,
// Keep-Alive, Proxy-Connection and whatever Connection names), plus what this
// hop needs: its own Connection header, X-Forwarded-For. Pure: strings in,
// string out.

#include <string>
#include <string_view>

#include "balancer/http/message.h"

namespace tandem::balancer::http {

struct RequestRewrite {
  // X-Forwarded-For (or the configured name) with the client's address; empty
  // name: none added.
  std::string_view forwarded_for_header;
  std::string_view client_ip;
  bool forwarded_for_if_none = false;  // only when the request has none
  bool close = false;                  // ask the server to close after the response
};

void write_request_head(const RequestHead& req, const RequestRewrite& rw, std::string& out);

struct ResponseRewrite {
  Version client_version = Version::http11;
  bool close = false;  // the proxy closes the client connection after this response
};

void write_response_head(const ResponseHead& resp, const ResponseRewrite& rw, std::string& out);

// True when `name` is hop-by-hop for a message whose Connection header lists
// `connection_value` (RFC 9110 §7.6.1).
bool is_hop_by_hop(std::string_view name, const std::vector<Header>& headers);

}  // namespace tandem::balancer::http
