#pragma once
// Claiming a unix socket path for a server: a stale socket file left by a dead
// process is replaced; a path a live process serves is never taken over.

#include <string>

#include "common/error.h"

namespace tandem {

// Prepares `path` for bind(2): creates its directory if missing (mode 0750),
// removes a stale socket file. Fails when a live process accepts connections
// there, or when the path is something other than a socket.
Result<void> claim_unix_socket_path(const std::string& path);

// True when something accepts connections on the unix socket at `path`.
bool unix_socket_is_live(const std::string& path);

}  // namespace tandem
