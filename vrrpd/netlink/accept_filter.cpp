#include "vrrpd/netlink/accept_filter.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/strings.h"

namespace tandem::vrrpd::netlink {

namespace {

constexpr const char* kTable = "inet tandem_vrrpd";

// Runs `nft -f -` with `script` on its stdin; waits for it (control plane
// only: start, reload and stop).
Result<void> run_nft(const std::string& script) {
  int in[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return fail(cat("pipe: ", std::strerror(errno)));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(in[0]);
    ::close(in[1]);
    return fail(cat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    ::dup2(in[0], 0);
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, 1);
    const char* argv[] = {"nft", "-f", "-", nullptr};
    ::execvp("nft", const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(in[0]);
  std::size_t off = 0;
  while (off < script.size()) {
    ssize_t n = ::write(in[1], script.data() + off, script.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    off += static_cast<std::size_t>(n);
  }
  ::close(in[1]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail(cat("nft failed (", WIFEXITED(status) ? cat("exit ", WEXITSTATUS(status)) : std::string("killed"),
                    ") installing the no_accept rules"));
  return {};
}

}  // namespace

std::string accept_filter_script(const std::vector<IpAddress>& vips) {
  // `add` then `delete`: removes the table whether or not it exists (nft 1.0.6
  // has no `destroy`), so the script is idempotent.
  std::string s = cat("add table ", kTable, "\ndelete table ", kTable, "\n");
  if (vips.empty()) return s;
  std::vector<std::string> v4, v6;
  for (const auto& a : vips) (a.is_v6() ? v6 : v4).push_back(a.text());
  append(s, "table ", kTable, " {\n  chain input {\n    type filter hook input priority filter; policy accept;\n");
  if (!v4.empty()) append(s, "    ip daddr { ", join(v4, ", "), " } drop\n");
  if (!v6.empty()) {
    append(s, "    ip6 daddr { ", join(v6, ", "), " } meta l4proto != ipv6-icmp drop\n");
    append(s, "    ip6 daddr { ", join(v6, ", "),
           " } icmpv6 type != { nd-neighbor-solicit, nd-neighbor-advert } drop\n");
  }
  append(s, "  }\n}\n");
  return s;
}

Result<void> NftAcceptFilter::apply(const std::vector<IpAddress>& vips) {
  if (vips.empty() && !installed_) return {};  // never installed: nothing to remove, no nft needed
  auto r = run_nft(accept_filter_script(vips));
  if (r) installed_ = !vips.empty();
  return r;
}

}  // namespace tandem::vrrpd::netlink
