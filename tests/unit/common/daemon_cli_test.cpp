#include "common/daemon_cli.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace tandem {
namespace {

DaemonSpec balancer_spec() {
  return DaemonSpec{"tandem-balancer", "HAProxy-class load balancer", "/etc/tandem/balancer.cfg",
                    "/run/tandem/balancer.sock", true, {{"-db", "stay in the foreground"}}};
}

Result<DaemonArgs> parse(const DaemonSpec& spec, std::vector<const char*> argv) {
  argv.insert(argv.begin(), "prog");
  return parse_daemon_args(spec, static_cast<int>(argv.size()), argv.data());
}

TEST(DaemonCli, Defaults) {
  auto a = parse(balancer_spec(), {});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->config_files, std::vector<std::string>{"/etc/tandem/balancer.cfg"});
  EXPECT_EQ(a->admin_socket, "/run/tandem/balancer.sock");
  EXPECT_FALSE(a->check_only);
}

TEST(DaemonCli, FlagsWithValues) {
  DaemonSpec spec = balancer_spec();
  spec.flags.push_back({"-x", "stats socket to take listeners from", "SOCKET"});
  spec.flags.push_back({"-sf", "old processes to stop softly", "PID..."});
  auto a = parse(spec, {"-x", "/run/s.sock", "-sf", "12", "34", "-db", "-f", "a.cfg"});
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->values_of("-x"), std::vector<std::string>{"/run/s.sock"});
  EXPECT_EQ(a->values_of("-sf"), (std::vector<std::string>{"12", "34"}));
  EXPECT_TRUE(a->has("-db"));
  EXPECT_TRUE(a->values_of("-db").empty());
  EXPECT_EQ(a->config_files, std::vector<std::string>{"a.cfg"});
  auto none = parse(spec, {"-sf", "-db"});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("-sf needs at least one PID"), std::string::npos);
  EXPECT_FALSE(parse(spec, {"-x"}));
  EXPECT_NE(daemon_usage(spec).find("-sf PID..."), std::string::npos);
}

TEST(DaemonCli, EveryOption) {
  auto a = parse(balancer_spec(), {"-f", "a.cfg", "-f", "b.cfg", "-c", "-p", "/tmp/p", "--admin-socket", "/tmp/s",
                                   "--log-level", "debug", "-db"});
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->config_files, (std::vector<std::string>{"a.cfg", "b.cfg"}));
  EXPECT_TRUE(a->check_only);
  EXPECT_EQ(a->pidfile, "/tmp/p");
  EXPECT_EQ(a->admin_socket, "/tmp/s");
  EXPECT_EQ(a->log_level, "debug");
  EXPECT_TRUE(a->has("-db"));
}

TEST(DaemonCli, Errors) {
  EXPECT_EQ(parse(balancer_spec(), {"--bogus"}).error().message, "unknown option '--bogus' (see tandem-balancer -h)");
  EXPECT_EQ(parse(balancer_spec(), {"-f"}).error().message, "option -f needs a value");
  DaemonSpec vrrpd{"tandem-vrrpd", "", "/etc/tandem/vrrpd.conf", "/run/tandem/vrrpd.sock", false, {}};
  EXPECT_FALSE(parse(vrrpd, {"-f", "a", "-f", "b"}));
  EXPECT_FALSE(parse(vrrpd, {"-db"}));
}

TEST(DaemonCli, UsageNamesEveryOption) {
  std::string u = daemon_usage(balancer_spec());
  for (const char* opt : {"-f FILE", "-c", "-p PIDFILE", "--admin-socket", "--version", "-db", "(repeatable)"})
    EXPECT_NE(u.find(opt), std::string::npos) << opt;
}

TEST(PidFile, WritesAndRemoves) {
  auto dir = std::filesystem::temp_directory_path() / ("tandem-pid-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "x.pid").string();
  {
    auto p = PidFile::create(path);
    ASSERT_TRUE(p);
    std::ifstream in(path);
    int pid = 0;
    in >> pid;
    EXPECT_EQ(pid, ::getpid());
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  std::filesystem::remove_all(dir);
  EXPECT_FALSE(PidFile::create("/nonexistent-dir/x.pid"));
}

}  // namespace
}  // namespace tandem
