#pragma once
// systemd's notify protocol (sd_notify(3)) in a few lines, without libsystemd:
// one datagram to $NOTIFY_SOCKET. Outside systemd (no NOTIFY_SOCKET) every
// call is a no-op that reports false.

#include <string_view>

#include "common/error.h"

namespace tandem::sd {

// Sends `state` (e.g. "READY=1", "RELOADING=1", "STOPPING=1", "WATCHDOG=1",
// "STATUS=...") to the socket named by NOTIFY_SOCKET. Returns true when sent,
// false when not under systemd, an error when the socket refused it.
Result<bool> notify(std::string_view state);

// Same, to an explicit socket path ("@name" for the abstract namespace); used by
// notify() and by tests that stand in for systemd.
Result<bool> notify_to(std::string_view socket_path, std::string_view state);

inline Result<bool> ready() { return notify("READY=1"); }
inline Result<bool> reloading() { return notify("RELOADING=1"); }
inline Result<bool> stopping() { return notify("STOPPING=1"); }
inline Result<bool> watchdog() { return notify("WATCHDOG=1"); }

}  // namespace tandem::sd
