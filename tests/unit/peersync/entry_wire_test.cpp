#include "peersync/replication/entry_wire.h"

#include <gtest/gtest.h>

#include <string>

namespace tandem::peersync {
namespace {

using namespace std::string_literals;

// table "web", key {ip 10.0.0.1}, server "s1", data {type 1, value 5},
// expire 60000, origin "lb1", origin_us 1.
const std::string kEntry = "\x0a\x03web"s + "\x12\x06\x0a\x04\x0a\x00\x00\x01"s + "\x1a\x02s1"s +
                           "\x22\x04\x08\x01\x10\x05"s + "\x28\xe0\xd4\x03"s + "\x32\x03lb1"s + "\x38\x01"s;

TEST(EntryWire, ReadsTableOriginAndKeySize) {
  auto f = scan_entry(kEntry);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->table, "web");
  EXPECT_EQ(f->origin_node, "lb1");
  EXPECT_EQ(f->key_bytes, 4u);
  EXPECT_TRUE(f->has_key);
  EXPECT_EQ(entry_table(kEntry), "web");
}

TEST(EntryWire, IntegerKeysCountEightBytesAndUnknownFieldsAreSkipped) {
  const std::string e = "\x0a\x01t"s + "\x12\x02\x10\x07"s + "\x7a\x03xyz"s /* field 15, bytes */ + "\x32\x01n"s;
  auto f = scan_entry(e);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->key_bytes, 8u);
  EXPECT_EQ(f->origin_node, "n");
}

TEST(EntryWire, AnEmptyEntryHasNoTableNorOrigin) {
  auto f = scan_entry("");
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->table.empty());
  EXPECT_FALSE(f->has_key);
  EXPECT_EQ(entry_table(""), "");
}

TEST(EntryWire, MalformedBytesAreRefused) {
  for (const std::string& bad : {
           "\x0a\x05we"s,                                  // length past the end
           "\x0a"s,                                        // no length
           "\x80"s,                                        // truncated tag
           "\x00\x01"s,                                    // field 0
           "\x0b\x01"s,                                    // a group (wire type 3)
           "\x0e\x01"s,                                    // wire type 6
           "\x38\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"s,  // a varint over 64 bits
           "\x39\x01\x02"s,                                // a fixed64 cut short
           "\x12\x02\x0a\x05"s,                            // the key's ip past the key's end
           "\x22\x03\x1a\x01\x80"s,                        // the rate inside a datum: truncated tag
       })
    EXPECT_FALSE(scan_entry(bad)) << testing::PrintToString(bad);
}

TEST(EntryWire, MalformedBytesSayWhere) {
  auto why = [](const std::string& bad) {
    auto f = scan_entry(bad);
    return f ? std::string("accepted") : f.error().message;
  };
  EXPECT_EQ(why("\x0a\x05we"s), "field 1: length past the end");
  EXPECT_EQ(why("\x80"s), "truncated tag");
  EXPECT_EQ(why("\x00\x01"s), "field number out of range");
  EXPECT_EQ(why("\x0b\x01"s), "field 1: wire type 3");
  EXPECT_EQ(why("\x38\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"s), "field 7: truncated varint");
  EXPECT_EQ(why("\x12\x02\x0a\x05"s), "key: field 1: length past the end");
  EXPECT_EQ(why("\x22\x03\x1a\x01\x80"s), "data: rate: truncated tag");
  EXPECT_EQ(why("\x22\x01\x0d"s), "data: field 1: truncated");
}

TEST(EntryWire, StringFieldsMustBeUtf8) {
  EXPECT_FALSE(scan_entry("\x0a\x01\xff"s));               // table
  EXPECT_FALSE(scan_entry("\x1a\x02\xc0\x80"s));           // server: overlong NUL
  EXPECT_FALSE(scan_entry("\x32\x03\xed\xa0\x80"s));       // origin: a surrogate
  EXPECT_FALSE(scan_entry("\x32\x02\xe2\x82"s));           // origin: cut short
  EXPECT_TRUE(scan_entry("\x32\x04\xf0\x9f\x98\x80"s));    // U+1F600
  EXPECT_TRUE(scan_entry("\x12\x03\x1a\x01\xff"s));        // a str key is bytes: anything
}

TEST(EntryWire, Utf8Validation) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("caf\xc3\xa9"));
  EXPECT_FALSE(valid_utf8("\xc3"));
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(valid_utf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(valid_utf8("\x80"));
}

}  // namespace
}  // namespace tandem::peersync
