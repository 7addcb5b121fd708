#include "common/unix_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/strings.h"

namespace tandem {

bool unix_socket_is_live(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return live;
}

Result<void> claim_unix_socket_path(const std::string& path) {
  if (path.empty()) return fail("admin socket path is empty");
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) return fail(cat("admin socket path too long: ", path));
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) {
      std::filesystem::create_directories(dir, ec);
      if (ec) return fail(cat("cannot create ", dir.string(), ": ", ec.message()));
      std::filesystem::permissions(dir, std::filesystem::perms(0750), ec);
    }
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return fail(cat(path, ": ", std::strerror(errno)));
  }
  if (!S_ISSOCK(st.st_mode)) return fail(cat(path, " exists and is not a socket; refusing to replace it"));
  if (unix_socket_is_live(path)) return fail(cat(path, " is served by a running process; refusing to start twice"));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return fail(cat("cannot remove stale socket ", path, ": ", std::strerror(errno)));
  return {};
}

FileStamp stamp_of(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return {};
  return FileStamp{static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino),
                   static_cast<long long>(st.st_ctim.tv_sec) * 1000000000LL + st.st_ctim.tv_nsec, true};
}

void unlink_if_ours(const std::string& path, const FileStamp& stamp) {
  if (stamp.same_file(stamp_of(path))) ::unlink(path.c_str());
}

}  // namespace tandem
