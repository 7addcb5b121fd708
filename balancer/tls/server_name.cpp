#include "balancer/tls/server_name.h"

namespace tandem::balancer::tls {

// struct { NameType name_type; opaque HostName<1..2^16-1>; } ServerName;
// struct { ServerName server_name_list<1..2^16-1>; } ServerNameList;
std::string_view parse_server_name(const std::uint8_t* p, std::size_t len) {
  if (len < 2) return {};
  std::size_t list = (static_cast<std::size_t>(p[0]) << 8) | p[1];
  if (list + 2 != len) return {};
  p += 2;
  len -= 2;
  while (len >= 3) {
    unsigned type = p[0];
    std::size_t n = (static_cast<std::size_t>(p[1]) << 8) | p[2];
    if (n + 3 > len) return {};
    if (type == 0 && n > 0) return std::string_view(reinterpret_cast<const char*>(p + 3), n);
    p += 3 + n;
    len -= 3 + n;
  }
  return {};
}

}  // namespace tandem::balancer::tls
