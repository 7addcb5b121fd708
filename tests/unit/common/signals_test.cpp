#include "common/signals.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <vector>

namespace tandem {
namespace {

// A signal that arrives after the handler is built but before start() (the
// daemons build it before their admin socket exists, start it in run()) is
// held, then handled: it neither kills the process nor is lost.
TEST(SignalHandler, ASignalBeforeStartIsHandledAfterIt) {
  asio::io_context io;
  SignalHandler h(io, true);
  ASSERT_EQ(::raise(SIGUSR1), 0);  // the default action would end the test binary here
  ASSERT_EQ(::raise(SIGHUP), 0);
  std::vector<int> seen;
  h.start({.stop = [&](int signo) { seen.push_back(signo); },
           .reload = [&] { seen.push_back(SIGHUP); },
           .soft_stop = [&] { seen.push_back(SIGUSR1); }});
  while (seen.size() < 2 && io.run_one() > 0) {
  }
  h.cancel();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(std::find(seen.begin(), seen.end(), SIGUSR1), seen.end());
  EXPECT_NE(std::find(seen.begin(), seen.end(), SIGHUP), seen.end());
}

TEST(SignalHandler, StopSignalsCallStop) {
  asio::io_context io;
  SignalHandler h(io, false);
  int stopped = 0;
  h.start({.stop = [&](int signo) { stopped = signo; }});
  ASSERT_EQ(::raise(SIGTERM), 0);
  while (stopped == 0 && io.run_one() > 0) {
  }
  h.cancel();
  EXPECT_EQ(stopped, SIGTERM);
}

}  // namespace
}  // namespace tandem
