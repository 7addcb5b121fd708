#include "cli/table.h"

#include <gtest/gtest.h>

namespace tandem::cli {
namespace {

TEST(CliTable, ColumnsAlignOnVisibleWidthWithoutTrailingBlanks) {
  Table t({"NAME", "STATE", "WHY"});
  t.add({"VI_1", colored("MASTER", true), ""});
  t.add({"VI_10", colored("FAULT", true), "no carrier"});
  EXPECT_EQ(t.render(),
            "NAME   STATE   WHY\n"
            "VI_1   \x1b[32mMASTER\x1b[0m\n"
            "VI_10  \x1b[31mFAULT\x1b[0m   no carrier\n");
}

TEST(CliTable, StateWordsColouredOnlyWhenAsked) {
  EXPECT_EQ(colored("SYNCING", true), "\x1b[33mSYNCING\x1b[0m");
  EXPECT_EQ(colored("no servers", true), "\x1b[31mno servers\x1b[0m");
  EXPECT_EQ(colored("lb1", true), "lb1");
  EXPECT_EQ(colored("DOWN", false), "DOWN");
}

}  // namespace
}  // namespace tandem::cli
