#pragma once
// Helpers shared by the stick-table tests: a manual clock, definitions from
// config text, keys from text.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "balancer/stick/stick_key.h"
#include "balancer/stick/stick_table_parser.h"
#include "balancer/stick/stick_time.h"
#include "common/clock.h"
#include "common/config/lexer.h"

namespace tandem::balancer::stick::testing {

// `stick-table ...` text -> TableDef (the test fails on error).
inline TableDef table_def(std::string_view args, std::string name = "t") {
  auto lines = tandem::config::lex(std::string("stick-table ") + std::string(args), "t.cfg");
  EXPECT_TRUE(lines) << lines.error().message;
  auto d = parse_stick_table(lines->at(0), std::move(name));
  EXPECT_TRUE(d) << d.error().message;
  return *d;
}

// A key of `def`'s type from text.
struct Key {
  Key(const TableDef& def, std::string_view text) {
    auto r = parse_key_text(KeyFormat::of(def), text, buf);
    EXPECT_TRUE(r) << r.error().message;
  }
  KeyView view() const { return buf.view(); }
  operator KeyView() const { return buf.view(); }
  KeyBuf buf;
};

struct TestClock {
  ManualClock clock;
  StickNow now() const { return stick_now(clock); }
  void advance_ms(long long ms) { clock.advance(std::chrono::milliseconds(ms)); }
};

}  // namespace tandem::balancer::stick::testing
