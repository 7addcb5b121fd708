#include "common/net_address.h"

#include <arpa/inet.h>

#include "common/strings.h"

namespace tandem {

std::string HostPort::text() const { return ipv6 ? cat('[', host, "]:", port) : cat(host, ':', port); }

bool is_ipv4(std::string_view text) {
  in_addr a{};
  return inet_pton(AF_INET, std::string(text).c_str(), &a) == 1;
}

bool is_ipv6(std::string_view text) {
  in6_addr a{};
  return inet_pton(AF_INET6, std::string(text).c_str(), &a) == 1;
}

Result<HostPort> parse_host_port(std::string_view text) {
  HostPort hp;
  std::string_view port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return fail(cat("'", text, "' is not [IPv6]:PORT"));
    hp.host = std::string(text.substr(1, close - 1));
    hp.ipv6 = true;
    port = text.substr(close + 2);
    if (!is_ipv6(hp.host)) return fail(cat("'", hp.host, "' is not an IPv6 address"));
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail(cat("'", text, "' has no :PORT"));
    hp.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
    if (!is_ipv4(hp.host)) {
      if (is_ipv6(hp.host)) return fail(cat("'", text, "': write IPv6 addresses as [ADDR]:PORT"));
      return fail(cat("'", hp.host, "' is not a numeric IP address (no DNS at load time)"));
    }
  }
  unsigned long long p = 0;
  if (!parse_uint(port, p) || p < 1 || p > 65535) return fail(cat("'", port, "' is not a port in 1..65535"));
  hp.port = static_cast<std::uint16_t>(p);
  return hp;
}

}  // namespace tandem
