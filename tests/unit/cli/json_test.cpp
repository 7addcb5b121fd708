#include "cli/json.h"

#include <gtest/gtest.h>

namespace tandem::cli {
namespace {

TEST(Json, NestedDocument) {
  JsonWriter j;
  j.begin_object().key("a").value(1).key("b").begin_array().value("x").value(true).null().end_array();
  j.key("c").begin_object().end_object().end_object();
  EXPECT_EQ(j.str(), "{\"a\":1,\"b\":[\"x\",true,null],\"c\":{}}\n");
}

TEST(Json, Escaping) { EXPECT_EQ(json_escape("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\""); }

}  // namespace
}  // namespace tandem::cli
