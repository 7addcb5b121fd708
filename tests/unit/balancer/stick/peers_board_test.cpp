// The serving configuration's `peers` sections through reloads (peers_board.h).
#include "balancer/stick/peers_board.h"

#include <gtest/gtest.h>

namespace tandem::balancer::stick {
namespace {

std::vector<std::string> names(const PeersBoard& b) {
  std::vector<std::string> out;
  for (const auto& s : b.serving())
    for (const auto& p : s.peers) out.push_back(s.name + ":" + p);
  return out;
}

TEST(PeersBoard, ACandidateShowsOnlyOnceItReplacedTheServingOne) {
  PeersBoard b;
  EXPECT_TRUE(b.serving().empty());
  auto first = b.post({{"p", {"lb1", "lb2"}, false}});
  auto candidate = b.post({{"p", {"lb1", "lb3"}, false}});
  EXPECT_EQ(names(b), (std::vector<std::string>{"p:lb1", "p:lb2"}));
  b.take_down(first);  // the reload swapped: the old one retired
  EXPECT_EQ(names(b), (std::vector<std::string>{"p:lb1", "p:lb3"}));
  auto failed = b.post({{"q", {"x"}, false}});
  b.take_down(failed);  // a reload that failed after building
  EXPECT_EQ(names(b), (std::vector<std::string>{"p:lb1", "p:lb3"}));
  b.take_down(candidate);
  EXPECT_TRUE(b.serving().empty());
}

}  // namespace
}  // namespace tandem::balancer::stick
