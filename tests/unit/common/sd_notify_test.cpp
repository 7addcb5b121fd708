#include "common/sd_notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <string>

namespace tandem::sd {
namespace {

// Stands in for systemd: a datagram socket in the abstract namespace.
class FakeSystemd {
 public:
  FakeSystemd() : name_("@tandem-sd-test-" + std::to_string(::getpid())) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name_.data(), name_.size());
    addr.sun_path[0] = '\0';
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
  }
  ~FakeSystemd() { ::close(fd_); }
  std::string receive() {
    char buf[256];
    ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  int fd_;
};

TEST(SdNotify, SendsTheStateToTheSocket) {
  FakeSystemd systemd;
  auto r = notify_to(systemd.name(), "READY=1");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(*r);
  EXPECT_EQ(systemd.receive(), "READY=1");
}

TEST(SdNotify, ReadsNotifySocketFromTheEnvironment) {
  FakeSystemd systemd;
  ::setenv("NOTIFY_SOCKET", systemd.name().c_str(), 1);
  EXPECT_TRUE(*stopping());
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_EQ(systemd.receive(), "STOPPING=1");
}

TEST(SdNotify, NoSystemdIsNotAnError) {
  ::unsetenv("NOTIFY_SOCKET");
  auto r = ready();
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
}

TEST(SdNotify, ARefusingSocketIsAnError) { EXPECT_FALSE(notify_to("/nonexistent/notify.sock", "READY=1")); }

}  // namespace
}  // namespace tandem::sd
