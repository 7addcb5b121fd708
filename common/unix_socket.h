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

// Which file a path names now (device and inode), so that a process removes
// its socket or pid file at exit only if it is still its own: a new process
// that took the path over (a binary upgrade) has put its own there.
struct FileStamp {
  unsigned long long dev = 0, ino = 0;
  long long ctime_ns = 0;  // inode numbers are reused at once on some file systems
  bool valid = false;
  bool same_file(const FileStamp& o) const {
    return valid && o.valid && dev == o.dev && ino == o.ino && ctime_ns == o.ctime_ns;
  }
};
FileStamp stamp_of(const std::string& path);
void unlink_if_ours(const std::string& path, const FileStamp& stamp);

}  // namespace tandem
