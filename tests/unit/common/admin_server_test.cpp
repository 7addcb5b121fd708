#include "common/grpc/admin_server.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <thread>

#include "common/grpc/health_client.h"

namespace tandem {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using namespace std::chrono_literals;

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tandem-admin-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    path_ = (dir_ / "d.sock").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(AdminServerTest, ServesHealthNotServingUntilToldOtherwise) {
  auto server = AdminServer::start({.socket_path = path_, .services = {}, .health_names = {"x.Svc"}});
  ASSERT_TRUE(server) << server.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);

  EXPECT_EQ(check_health(path_, 2s).health, DaemonHealth::not_serving);
  (*server)->health().set_status(HealthCheckResponse::SERVING);
  EXPECT_EQ(check_health(path_, 2s).health, DaemonHealth::serving);
  (*server)->shutdown();
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_EQ(check_health(path_, 2s).health, DaemonHealth::no_socket);
}

TEST_F(AdminServerTest, RefusesToStartTwiceOnOneSocket) {
  auto first = AdminServer::start({.socket_path = path_});
  ASSERT_TRUE(first);
  auto second = AdminServer::start({.socket_path = path_});
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("running process"), std::string::npos);
  // The live server is untouched.
  EXPECT_EQ(check_health(path_, 2s).health, DaemonHealth::not_serving);
}

TEST_F(AdminServerTest, WatchSeesEveryChangeAndEndsOnShutdown) {
  auto server = AdminServer::start({.socket_path = path_});
  ASSERT_TRUE(server);
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel("unix:" + path_, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 10s);
  auto reader = stub->Watch(&ctx, HealthCheckRequest());
  HealthCheckResponse r;
  ASSERT_TRUE(reader->Read(&r));
  EXPECT_EQ(r.status(), HealthCheckResponse::NOT_SERVING);
  (*server)->health().set_status(HealthCheckResponse::SERVING);
  ASSERT_TRUE(reader->Read(&r));
  EXPECT_EQ(r.status(), HealthCheckResponse::SERVING);
  std::thread stopper([&] { (*server)->shutdown(2s); });
  ASSERT_TRUE(reader->Read(&r));
  EXPECT_EQ(r.status(), HealthCheckResponse::NOT_SERVING);
  EXPECT_FALSE(reader->Read(&r));  // the stream ends: the daemon is going away
  stopper.join();
}

TEST_F(AdminServerTest, UnknownServiceIsNotFound) {
  auto server = AdminServer::start({.socket_path = path_});
  ASSERT_TRUE(server);
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel("unix:" + path_, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  HealthCheckRequest req;
  req.set_service("no.such.Service");
  HealthCheckResponse resp;
  EXPECT_EQ(stub->Check(&ctx, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace tandem
