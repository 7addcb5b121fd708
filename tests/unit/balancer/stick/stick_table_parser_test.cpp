#include "balancer/stick/stick_table_parser.h"

#include <gtest/gtest.h>

#include "common/config/lexer.h"

namespace tandem::balancer::stick {
namespace {

Result<TableDef> parse(std::string_view text) {
  auto lines = tandem::config::lex(text, "b.cfg");
  EXPECT_TRUE(lines) << lines.error().message;
  return parse_stick_table(lines->at(0), "web");
}

TEST(StickTableParser, SeedsParse) {
  // Every stick-table line of the seeds.
  auto a = parse("stick-table type ip size 200k expire 30m");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->name, "web");
  EXPECT_EQ(a->key_type, KeyType::ip);
  EXPECT_EQ(a->key_len, 4u);
  EXPECT_EQ(a->size, 200u * 1024);
  EXPECT_EQ(a->expire_ms, 30u * 60 * 1000);
  EXPECT_TRUE(a->store.empty());
  EXPECT_EQ(a->file, "b.cfg");
  EXPECT_EQ(a->line, 1);

  auto b = parse("stick-table type ip size 100k expire 30s store http_req_rate(10s)");
  ASSERT_TRUE(b) << b.error().message;
  ASSERT_EQ(b->store.size(), 1u);
  EXPECT_EQ(b->store[0], (DataDef{DataType::http_req_rate, 10000}));

  auto c = parse("stick-table type ip size 100k expire 30s store conn_cur");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->store[0], (DataDef{DataType::conn_cur, 0}));

  auto d = parse("stick-table type ip size 200k expire 2m store conn_rate(3s),gpc0");
  ASSERT_TRUE(d);
  ASSERT_EQ(d->store.size(), 2u);
  EXPECT_EQ(d->store[0], (DataDef{DataType::conn_rate, 3000}));
  EXPECT_EQ(d->store[1], (DataDef{DataType::gpc0, 0}));

  auto e = parse("stick-table type ip size 200k expire 2m store http_err_rate(5s),gpc0");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->store[0], (DataDef{DataType::http_err_rate, 5000}));
}

TEST(StickTableParser, EveryOptionAndType) {
  auto t = parse(
      "stick-table type string len 64 size 1m expire 1h nopurge peers mypeers srvkey name "
      "store server_id,gpc0,gpc0_rate(1s),gpc1,gpc1_rate(1s) store conn_cnt,conn_cur,conn_rate(10s) "
      "store sess_cnt,sess_rate(10s),http_req_cnt,http_req_rate(10s),http_err_cnt,http_err_rate(10s) "
      "store bytes_in_cnt,bytes_out_cnt,bytes_in_rate(1m),bytes_out_rate(1m)");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->key_type, KeyType::string);
  EXPECT_EQ(t->key_len, 64u);
  EXPECT_EQ(t->size, 1024u * 1024);
  EXPECT_TRUE(t->nopurge);
  EXPECT_EQ(t->peers, "mypeers");
  EXPECT_TRUE(t->replicated());
  EXPECT_EQ(t->store.size(), kDataTypeCount);
  EXPECT_EQ(t->find(DataType::bytes_out_rate)->period_ms, 60000u);

  auto s = parse("stick-table type string size 10");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->key_len, 32u);  // HAProxy's default
  auto b = parse("stick-table type binary len 16 size 10");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->key_len, 16u);
  auto v6 = parse("stick-table size 10 type ipv6");  // any order
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->key_len, 16u);
  auto i = parse("stick-table type integer size 10");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->key_type, KeyType::integer);
  EXPECT_EQ(i->expire_ms, 0u);  // no expire: entries never expire
}

TEST(StickTableParser, ErrorsNameFileLineAndWhatIsWrong) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"stick-table", "b.cfg:1: stick-table: missing arguments (type and size are required)"},
      {"stick-table type ip", "b.cfg:1: stick-table: missing 'size'"},
      {"stick-table size 10", "b.cfg:1: stick-table: missing 'type'"},
      {"stick-table type ipv4 size 10",
       "b.cfg:1: stick-table: unknown type 'ipv4' (ip, ipv6, integer, string, binary)"},
      {"stick-table type ip size", "b.cfg:1: stick-table: missing value after 'size'"},
      {"stick-table type ip size 0", "b.cfg:1: stick-table: size '0' is not in 1..1073741824"},
      {"stick-table type ip size 10x", "b.cfg:1: stick-table: size: '10x': unknown size unit 'x' (k, m, g)"},
      {"stick-table type ip size 10 expire soon",
       "b.cfg:1: stick-table: expire: 'soon' is not a time (expected e.g. 500ms, 2s, 1m)"},
      {"stick-table type ip len 8 size 10", "b.cfg:1: stick-table: 'len' must follow 'type string' or 'type binary'"},
      {"stick-table type string len 0 size 10", "b.cfg:1: stick-table: len '0' is not a number in 1..1024"},
      {"stick-table type ip size 10 size 20", "b.cfg:1: stick-table: 'size' given twice"},
      {"stick-table type ip size 10 store", "b.cfg:1: stick-table: missing value after 'store'"},
      {"stick-table type ip size 10 store gpc9", "b.cfg:1: stick-table: store: unknown data type 'gpc9'"},
      {"stick-table type ip size 10 store gpc0,gpc0", "b.cfg:1: stick-table: store: 'gpc0' is stored twice"},
      {"stick-table type ip size 10 store gpc0 store gpc0", "b.cfg:1: stick-table: store: 'gpc0' is stored twice"},
      {"stick-table type ip size 10 store http_req_rate",
       "b.cfg:1: stick-table: store: 'http_req_rate' needs a period, e.g. http_req_rate(10s)"},
      {"stick-table type ip size 10 store http_req_rate(10q)",
       "b.cfg:1: stick-table: store: bad period for 'http_req_rate': '10q': unknown time unit 'q' (us, ms, s, m, h, "
       "d)"},
      {"stick-table type ip size 10 store http_req_rate(0)",
       "b.cfg:1: stick-table: store: period of 'http_req_rate' must be at least 1ms"},
      {"stick-table type ip size 10 store http_req_rate(10s",
       "b.cfg:1: stick-table: store: missing ')' after 'http_req_rate(10s'"},
      {"stick-table type ip size 10 store gpc0(1s)", "b.cfg:1: stick-table: store: 'gpc0' takes no argument"},
      {"stick-table type ip size 10 store gpc0,", "b.cfg:1: stick-table: store: empty item in list"},
      {"stick-table type ip size 10 srvkey addr", "b.cfg:1: stick-table: srvkey 'addr' is not supported (only 'name')"},
      {"stick-table type ip size 10 frobnicate", "b.cfg:1: stick-table: unknown argument 'frobnicate'"},
  };
  for (const Case& c : cases) {
    auto r = parse(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().message, c.error) << c.text;
  }
}

TEST(StickTableParser, EnsureStoredAddsServerIdOnce) {
  auto t = parse("stick-table type ip size 10 store gpc0");
  ASSERT_TRUE(t);
  t->ensure_stored(DataType::server_id);
  t->ensure_stored(DataType::server_id);
  EXPECT_EQ(t->store.size(), 2u);
  EXPECT_TRUE(t->stores(DataType::server_id));
}

}  // namespace
}  // namespace tandem::balancer::stick
