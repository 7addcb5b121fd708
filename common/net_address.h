#pragma once
// Numeric socket addresses as configuration files write them:
// 198.18.0.1:7400, [2001:db8::1]:7400. No DNS: these machines have none, and a
// configuration must not depend on it at load time.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace tandem {

struct HostPort {
  std::string host;  // a numeric IPv4 or IPv6 address, without brackets
  std::uint16_t port = 0;
  bool ipv6 = false;

  std::string text() const;  // back to "ip:port" / "[ip6]:port"
  bool operator==(const HostPort&) const = default;
};

// Parses "IP:PORT" or "[IP6]:PORT"; the port must be 1..65535.
Result<HostPort> parse_host_port(std::string_view text);

// True for a numeric IPv4 or IPv6 address.
bool is_ipv4(std::string_view text);
bool is_ipv6(std::string_view text);

}  // namespace tandem
