// The server_name extension of a ClientHello, as any client may send it:
// never a read outside the bytes, and a name, when found, lies inside them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "balancer/tls/server_name.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view name = tandem::balancer::tls::parse_server_name(data, size);
  if (!name.empty()) {
    auto* b = reinterpret_cast<const char*>(data);
    if (name.data() < b || name.data() + name.size() > b + size) std::abort();
  }
  return 0;
}
