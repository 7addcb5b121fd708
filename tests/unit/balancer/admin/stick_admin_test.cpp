// Proto conversion and the Admin helpers (show/clear/set), without sockets.
#include "balancer/admin/stick_admin.h"

#include <gtest/gtest.h>

#include "../stick/stick_test_util.h"
#include "balancer/admin/stick_codec.h"

namespace tandem::balancer::admin {
namespace {

using namespace tandem::balancer::stick;
using stick::testing::Key;
using stick::testing::table_def;
using stick::testing::TestClock;

class StickAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    web = *reg.install(table_def("type ip size 100 expire 60s peers p store server_id,gpc0,http_req_rate(10s)", "web"),
                       1, c.now());
    for (int i = 1; i <= 5; ++i)
      for (int n = 0; n < i; ++n) web->inc_gpc(Key(web->def(), "10.0.0." + std::to_string(i)), 0, c.now());
  }
  TestClock c;
  StickRegistry reg{{"lb1", "i1", 1024}};
  std::shared_ptr<StickTable> web;
};

TEST_F(StickAdminTest, ShowOneKeyAllOrFiltered) {
  pb::ShowTableRequest req;
  pb::ShowTableResponse resp;
  req.set_table("web");
  req.set_key("10.0.0.3");
  ASSERT_TRUE(show_table(reg, req, c.now(), &resp).ok());
  ASSERT_EQ(resp.entries_size(), 1);
  EXPECT_EQ(resp.entries(0).key().ip(), std::string("\x0a\x00\x00\x03", 4));
  EXPECT_EQ(resp.entries(0).origin_node(), "lb1");
  EXPECT_EQ(resp.table().entries(), 5u);
  EXPECT_EQ(resp.table().key_type(), pb::KEY_TYPE_IP);

  resp.Clear();
  req.clear_key();
  req.mutable_filter()->set_type(pb::DATA_TYPE_GPC0);
  req.mutable_filter()->set_op(pb::DataFilter::OP_GE);
  req.mutable_filter()->set_value(3);
  ASSERT_TRUE(show_table(reg, req, c.now(), &resp).ok());
  EXPECT_EQ(resp.entries_size(), 3);
  EXPECT_FALSE(resp.truncated());

  resp.Clear();
  req.set_limit(2);
  ASSERT_TRUE(show_table(reg, req, c.now(), &resp).ok());
  EXPECT_EQ(resp.entries_size(), 2);
  EXPECT_TRUE(resp.truncated());

  req.mutable_filter()->set_type(pb::DATA_TYPE_CONN_CUR);
  auto s = show_table(reg, req, c.now(), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "filter: table 'web' does not store conn_cur");
  req.set_table("nope");
  EXPECT_EQ(show_table(reg, req, c.now(), &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  req.set_table("web");
  req.clear_filter();
  req.set_key("not-an-ip");
  EXPECT_EQ(show_table(reg, req, c.now(), &resp).error_message(), "key: 'not-an-ip' is not an IPv4 address");
}

TEST_F(StickAdminTest, SetThenClear) {
  pb::SetTableEntryRequest set;
  set.set_table("web");
  set.set_key("192.0.2.9");
  set.set_server_name("app2");
  auto* d = set.add_data();
  d->set_type(pb::DATA_TYPE_GPC0);
  d->set_value(7);
  d = set.add_data();
  d->set_type(pb::DATA_TYPE_HTTP_REQ_RATE);
  d->set_value(40);
  pb::StickEntry e;
  ASSERT_TRUE(set_table_entry(reg, set, c.now(), &e).ok());
  EXPECT_EQ(e.server_name(), "app2");
  ASSERT_EQ(e.data_size(), 2);
  EXPECT_EQ(e.data(0).value(), 7u);
  EXPECT_EQ(e.data(1).value(), 40u);  // HAProxy's `set table`: 40 events in a period from now
  EXPECT_EQ(e.data(1).rate().current(), 40u);
  d->set_type(pb::DATA_TYPE_CONN_CNT);
  EXPECT_EQ(set_table_entry(reg, set, c.now(), &e).error_message(), "table 'web' does not store conn_cnt");

  pb::ClearTableRequest clr;
  pb::ClearTableResponse cr;
  clr.set_table("web");
  clr.set_key("192.0.2.9");
  ASSERT_TRUE(clear_table(reg, clr, c.now(), &cr).ok());
  EXPECT_EQ(cr.removed(), 1u);
  clr.clear_key();
  ASSERT_TRUE(clear_table(reg, clr, c.now(), &cr).ok());
  EXPECT_EQ(cr.removed(), 5u);
  EXPECT_EQ(web->entries(), 0u);
}

TEST(StickCodec, KeysFromProtoAreCheckedAgainstTheTable) {
  KeyBuf k;
  pb::StickKey key;
  key.set_ip(std::string(4, '\1'));
  EXPECT_TRUE(key_from_proto({KeyType::ip, 4}, key, k));
  EXPECT_EQ(key_from_proto({KeyType::ipv6, 16}, key, k).error().message,
            "key of 4 bytes, the table's ipv6 keys are 16");
  key.set_integer(1LL << 40);
  EXPECT_EQ(key_from_proto({KeyType::integer, 4}, key, k).error().message, "integer key 1099511627776 is not 32-bit");
  EXPECT_EQ(key_from_proto({KeyType::ip, 4}, key, k).error().message, "a ip table needs an ip key");
  key.set_str("abcdef");
  EXPECT_EQ(key_from_proto({KeyType::string, 4}, key, k).error().message,
            "key of 6 bytes, the table's string keys are at most 4");
  key.set_binary("ab");
  EXPECT_FALSE(key_from_proto({KeyType::binary, 4}, key, k));
  key.Clear();
  EXPECT_FALSE(key_from_proto({KeyType::ip, 4}, key, k));
}

// String keys come from requests: any octet must survive the wire.
TEST(StickCodec, StringKeysAreBytesOnTheWire) {
  pb::ApplyBatch b;
  b.add_entries()->mutable_key()->set_str(std::string("\xff\x00\x80k", 4));
  std::string wire = b.SerializeAsString();
  pb::ApplyBatch back;
  ASSERT_TRUE(back.ParseFromString(wire));
  KeyBuf k;
  ASSERT_TRUE(key_from_proto({KeyType::string, 8}, back.entries(0).key(), k));
  EXPECT_EQ(k.view().bytes(), std::string_view("\xff\x00\x80k", 4));
}

TEST(StickCodec, DefinitionsAndCursors) {
  pb::StickTableDef d;
  to_proto(table_def("type string len 12 size 1k expire 2m nopurge peers p store server_id,conn_rate(3s)", "x"), &d);
  EXPECT_EQ(d.name(), "x");
  EXPECT_EQ(d.key_type(), pb::KEY_TYPE_STRING);
  EXPECT_EQ(d.key_len(), 12u);
  EXPECT_EQ(d.size(), 1024u);
  EXPECT_EQ(d.expire_ms(), 120000);
  EXPECT_TRUE(d.nopurge());
  ASSERT_EQ(d.data_size(), 2);
  EXPECT_EQ(d.data(1).type(), pb::DATA_TYPE_CONN_RATE);
  EXPECT_EQ(d.data(1).period_ms(), 3000u);
  EXPECT_EQ(from_proto(to_proto(Cursor{"i", 9})), (Cursor{"i", 9}));
  pb::Cursor odd;
  odd.set_seq(5);  // no instance: nothing
  EXPECT_TRUE(from_proto(odd).empty());
}

}  // namespace
}  // namespace tandem::balancer::admin
