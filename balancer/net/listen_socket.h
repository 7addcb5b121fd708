#pragma once
// Opening listening sockets for `bind` lines.
//
// Every listener gets SO_REUSEPORT, so that each worker opens its own socket
// on the address and the kernel spreads connections between them, and
// IP_FREEBIND, so that the standby node listens on the VIP before it holds it.

#include "balancer/config/model.h"
#include "common/error.h"

namespace tandem::balancer::net {

// A bound, listening, non-blocking socket for `b` (not fd@N). Errors name the
// bind line and the address.
Result<int> open_listen_socket(const config::Bind& b, int backlog);

// What makes two `bind` lines the same socket: the address, the port and the
// options that shape the socket. A reload keeps a listener whose identity is
// in both configurations open (no connection refused while it swaps), even if
// it moved to another frontend or changed its TLS settings.
std::string listener_identity(const config::Bind& b);

// For fd@N: checks that the inherited descriptor is a listening TCP socket
// and returns a duplicate of it (one per worker; they share its queue).
Result<int> dup_inherited_listener(const config::Bind& b);

}  // namespace tandem::balancer::net
