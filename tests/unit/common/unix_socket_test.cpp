#include "common/unix_socket.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace tandem {
namespace {

class UnixSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tandem-sock-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Binds (and optionally listens on) a unix socket at `path`; returns the fd.
  int bind_at(const std::string& path, bool listen) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    if (listen) {
      EXPECT_EQ(::listen(fd, 1), 0);
    }
    return fd;
  }

  std::filesystem::path dir_;
};

TEST_F(UnixSocketTest, CreatesTheDirectory) {
  std::string path = (dir_ / "run" / "x.sock").string();
  ASSERT_TRUE(claim_unix_socket_path(path));
  EXPECT_TRUE(std::filesystem::is_directory(dir_ / "run"));
}

TEST_F(UnixSocketTest, ReplacesAStaleSocket) {
  std::filesystem::create_directories(dir_);
  std::string path = (dir_ / "x.sock").string();
  ::close(bind_at(path, false));  // the file stays; nobody listens
  ASSERT_TRUE(std::filesystem::exists(path));
  auto r = claim_unix_socket_path(path);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(UnixSocketTest, NeverTakesOverALiveServer) {
  std::filesystem::create_directories(dir_);
  std::string path = (dir_ / "x.sock").string();
  int fd = bind_at(path, true);
  EXPECT_TRUE(unix_socket_is_live(path));
  auto r = claim_unix_socket_path(path);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("served by a running process"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(path));
  ::close(fd);
}

TEST_F(UnixSocketTest, RefusesToReplaceARegularFile) {
  std::filesystem::create_directories(dir_);
  std::string path = (dir_ / "x.sock").string();
  std::ofstream(path) << "data";
  auto r = claim_unix_socket_path(path);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("is not a socket"), std::string::npos);
}

}  // namespace
}  // namespace tandem
