// The stick tables wired into the balancer: tables installed from the
// configuration, names resolved (own table, `table T`, unknown ones with
// FILE:LINE), the stick-counter fetches and actions on tracked counters, and
// stick match/store choosing servers.
#include <gtest/gtest.h>

#include "balancer/config/parser.h"
#include "balancer/proxy/stick_persist.h"
#include "balancer/rules/stick_glue.h"
#include "balancer/runtime/runtime.h"

namespace tandem::balancer {
namespace {

using stick::StickNow;

struct Built {
  std::unique_ptr<stick::StickRegistry> reg = std::make_unique<stick::StickRegistry>(
      stick::StickRegistry::Options{.node = "n", .instance_id = "i", .log_capacity = 1024});
  std::unique_ptr<runtime::Runtime> rt;
  std::string error;
};

Built build(std::string_view text) {
  Built b;
  auto lines = tandem::config::lex(text, "s.cfg");
  EXPECT_TRUE(lines);
  auto cfg = config::parse(*lines);
  if (!cfg) {
    b.error = cfg.error().message;
    return b;
  }
  auto rt = runtime::Runtime::build(*cfg, 1, *b.reg);
  if (!rt)
    b.error = rt.error().message;
  else
    b.rt = std::move(*rt);
  return b;
}

constexpr std::string_view kHead = "defaults\n  mode http\n";  // lines 1-2

rules::EvalContext context_from(const char* ip, std::uint32_t tick) {
  rules::EvalContext ctx;
  ctx.src = asio::ip::make_address(ip);
  ctx.now = StickNow{tick, 1'700'000'000'000'000LL + tick * 1000LL};
  return ctx;
}

TEST(StickWiring, TablesAreInstalledAndResolved) {
  Built b = build(std::string(kHead) +
                  "frontend f\n  bind :80\n  stick-table type ip size 10 expire 1m store http_req_rate(10s),gpc0\n"
                  "  http-request track-sc0 src\n  http-request track-sc1 src table counts\n"
                  "  default_backend be\n"
                  "backend counts\n  stick-table type ip size 10 store http_req_cnt\n"
                  "backend be\n  stick-table type ip size 10 expire 30m\n  stick on src\n  server a 192.0.2.1:80\n"
                  "  server b 192.0.2.2:80\n");
  ASSERT_TRUE(b.rt) << b.error;
  EXPECT_EQ(b.reg->tables().size(), 3u);
  ASSERT_NE(b.rt->find_table("be"), nullptr);
  // A table a stick rule uses stores server_id even when `store` omits it.
  EXPECT_TRUE(b.rt->find_table("be")->def().stores(stick::DataType::server_id));
  EXPECT_FALSE(b.rt->find_table("counts")->def().stores(stick::DataType::server_id));
  // Building again with the same definitions keeps the tables (reload).
  auto lines = tandem::config::lex(
      std::string(kHead) + "backend counts\n  stick-table type ip size 10 store http_req_cnt\n", "s.cfg");
  auto cfg = config::parse(*lines);
  stick::StickTable* before = b.rt->find_table("counts");
  auto again = runtime::Runtime::build(*cfg, 1, *b.reg);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->find_table("counts"), before);
}

TEST(StickWiring, ResolutionErrorsNameFileAndLine) {
  struct Case {
    std::string body;
    std::string want;
  } cases[] = {
      {"frontend f\n  http-request track-sc0 src table nope\n",
       "s.cfg:4: http-request track-sc0: no stick-table named 'nope'"},
      {"frontend f\n  http-request deny if { sc0_conn_cur(nope) gt 1 }\n",
       "s.cfg:4: http-request deny: no stick-table named 'nope'"},
      {"frontend f\n  http-request deny if { src_conn_cur gt 1 }\n",
       "s.cfg:4: http-request deny: fetch 'src_conn_cur' needs a table: this proxy declares none"},
      {"backend b\n  stick on src\n", "s.cfg:4: stick on: this backend has no stick-table; name one with 'table'"},
      {"backend b\n  stick-table type ip size 1\n  stick match src table zz\n",
       "s.cfg:5: stick match: no stick-table named 'zz'"},
      {"backend b\n  stick-table type ip size 1\n  stick on res.hdr(x)\n",
       "s.cfg:5: stick on: reads the response, which only 'stick store-response' can"},
      {"backend b\n  stick-table type ip size 1\n  stick frob src\n",
       "s.cfg:5: stick: 'frob' is not on, match, store-request or store-response"},
      {"frontend x\n  stick-table type ip size 1\nbackend x\n  stick-table type ip size 1\n",
       "s.cfg:6: stick-table: another proxy named 'x' already declares a table of that name"},
  };
  for (const auto& c : cases) {
    Built b = build(std::string(kHead) + c.body);
    EXPECT_EQ(b.error, c.want) << c.body;
  }
}

TEST(StickWiring, TrackedCountersFeedTheFetches) {
  Built b = build(std::string(kHead) +
                  "frontend f\n  stick-table type ip size 10 expire 1m store http_req_rate(10s),http_err_cnt,conn_cur,"
                  "gpc0,bytes_in_cnt\n"
                  "  http-request track-sc0 src\n"
                  "  http-request deny if { sc_http_req_rate(0) gt 2 }\n");
  ASSERT_TRUE(b.rt) << b.error;
  rules::Resolver r;
  r.own_table = b.rt->find_table("f");
  r.table = [&](std::string_view n) -> const void* { return b.rt->find_table(n); };
  auto expr = [&](const char* t) {
    auto e = rules::SampleExpr::parse(t, r, "w");
    EXPECT_TRUE(e) << t << (e ? "" : e.error().message);
    return *e;
  };
  rules::SessionCounters sc;
  auto ctx = context_from("198.51.100.7", 1000);
  // Before tracking: sc fetches give nothing; src fetches read 0.
  EXPECT_FALSE(expr("sc0_http_req_rate").eval(ctx).present());
  EXPECT_EQ(expr("src_http_req_rate").eval(ctx).i, 0);
  EXPECT_FALSE(expr("sc0_tracked").eval(ctx).b);
  sc.track(ctx, 0, expr("src"), r.own_table, true);
  ASSERT_NE(ctx.sc[0], nullptr);
  EXPECT_TRUE(expr("sc0_tracked").eval(ctx).b);
  EXPECT_EQ(expr("sc0_http_req_rate").eval(ctx).i, 1);
  EXPECT_EQ(expr("sc_http_req_rate(0)").eval(ctx).i, 1);
  EXPECT_EQ(expr("sc0_conn_cur").eval(ctx).i, 1);
  EXPECT_EQ(expr("src_conn_cur").eval(ctx).i, 1);
  EXPECT_FALSE(expr("sc0_sess_cnt").eval(ctx).present());  // not stored
  EXPECT_EQ(expr("sc0_inc_gpc0").eval(ctx).i, 1);
  EXPECT_EQ(expr("sc0_inc_gpc0").eval(ctx).i, 2);
  EXPECT_EQ(expr("src_get_gpc0").eval(ctx).i, 2);
  sc.clr_gpc(ctx, 0, 0);
  EXPECT_EQ(expr("sc0_get_gpc0").eval(ctx).i, 0);
  // The request ends: an error and the bytes are counted, the counter released.
  sc.end_request(ctx.now, true, 2048, 10);
  EXPECT_FALSE(sc.any());
  EXPECT_EQ(expr("src_conn_cur").eval(ctx).i, 0);
  EXPECT_EQ(expr("src_http_err_cnt").eval(ctx).i, 1);
  EXPECT_EQ(expr("src_kbytes_in").eval(ctx).i, 2);
  // A connection-level counter counts every request of the connection.
  sc.track(ctx, 1, expr("src"), r.own_table, false);
  sc.begin_request(ctx.now);
  sc.begin_request(ctx.now);
  EXPECT_EQ(expr("sc1_http_req_rate").eval(ctx).i, 3);
  sc.end_request(ctx.now, false, 0, 0);
  EXPECT_TRUE(sc.any());  // still tracked until the connection ends
  sc.end_session(ctx.now);
  EXPECT_FALSE(sc.any());
  // Another source: its own entry.
  auto other = context_from("198.51.100.8", 1000);
  EXPECT_EQ(expr("src_http_req_rate").eval(other).i, 0);
  EXPECT_EQ(expr("src_inc_gpc0").eval(other).i, 1);  // creates the entry
  EXPECT_EQ(b.rt->find_table("f")->entries(), 2u);
}

TEST(StickWiring, StickMatchAndStore) {
  auto text = [](std::string extra) {
    return std::string(kHead) + "backend be\n  stick-table type ip size 10 expire 30m\n  stick on src\n" + extra +
           "  server a 192.0.2.1:80\n  server b 192.0.2.2:80\n";
  };
  for (bool redispatch : {false, true}) {
    Built b = build(text(redispatch ? "  option redispatch\n" : ""));
    ASSERT_TRUE(b.rt) << b.error;
    runtime::Backend& be = *b.rt->find_backend("be");
    auto ctx = context_from("203.0.113.5", 5000);
    EXPECT_EQ(proxy::stick_match(be, ctx).server, nullptr);  // no entry yet
    proxy::stick_store(be, ctx, *be.find_server("b"), false);
    auto m = proxy::stick_match(be, ctx);
    EXPECT_EQ(m.server, be.find_server("b"));
    EXPECT_FALSE(m.down);
    // The table names the server, for replication and `show table`.
    auto shown = b.rt->find_table("be")->match_server(
        [] {
          static std::uint8_t k[4] = {203, 0, 113, 5};
          return stick::KeyView{k, 4};
        }(),
        ctx.now);
    ASSERT_TRUE(shown);
    EXPECT_EQ(b.rt->find_table("be")->server_name(shown->ref), "b");
    be.find_server("b")->set_admin_state(runtime::AdminState::maint);
    m = proxy::stick_match(be, ctx);
    EXPECT_EQ(m.server, nullptr);
    EXPECT_TRUE(m.down);  // the session answers 503 or redispatches, per the backend
  }
}

// Resolver and expression helpers for a built runtime.
struct Exprs {
  explicit Exprs(const Built& b, std::string_view own) {
    r.own_table = b.rt->find_table(own);
    r.table = [rt = b.rt.get()](std::string_view n) -> const void* { return rt->find_table(n); };
  }
  rules::SampleExpr operator()(std::string_view t) const {
    auto e = rules::SampleExpr::parse(t, r, "w");
    EXPECT_TRUE(e) << t << (e ? "" : e.error().message);
    return e ? *e : rules::SampleExpr();
  }
  rules::Resolver r;
};

TEST(StickWiring, ScFetchesNamingAnotherTableLookTheTrackedKeyUpThere) {
  Built b = build(std::string(kHead) +
                  "frontend f\n  stick-table type ip size 10 expire 1m store http_req_cnt\n"
                  "backend abuse\n  stick-table type ip size 10 expire 1m store gpc0,http_req_rate(10s)\n"
                  "backend names\n  stick-table type string len 32 size 10 store gpc0\n");
  ASSERT_TRUE(b.rt) << b.error;
  Exprs expr(b, "f");
  stick::StickTable* abuse = b.rt->find_table("abuse");
  rules::SessionCounters sc;
  auto ctx = context_from("198.51.100.9", 1000);
  sc.track(ctx, 0, expr("src"), expr.r.own_table, true);
  // The key is not in `abuse` yet: 0, and inc/clr do not create it.
  EXPECT_EQ(expr("sc0_get_gpc0(abuse)").eval(ctx).i, 0);
  EXPECT_TRUE(expr("sc0_get_gpc0(abuse)").eval(ctx).present());
  EXPECT_EQ(expr("sc_get_gpc0(0,abuse)").eval(ctx).i, 0);
  EXPECT_EQ(expr("sc0_inc_gpc0(abuse)").eval(ctx).i, 0);
  EXPECT_EQ(abuse->entries(), 0u);
  // Once it is there, the same key is read and changed in `abuse`.
  stick::KeyBuf k;
  ASSERT_TRUE(stick::parse_key_text(abuse->key_format(), "198.51.100.9", k));
  ASSERT_TRUE(abuse->inc_gpc(k.view(), 0, ctx.now));
  EXPECT_EQ(expr("sc0_get_gpc0(abuse)").eval(ctx).i, 1);
  EXPECT_EQ(expr("sc0_inc_gpc0(abuse)").eval(ctx).i, 2);
  EXPECT_EQ(expr("sc_inc_gpc0(0,abuse)").eval(ctx).i, 3);
  EXPECT_EQ(expr("sc_http_req_rate(0,abuse)").eval(ctx).i, 0);  // stored, nothing counted there
  EXPECT_EQ(expr("sc0_clr_gpc0(abuse)").eval(ctx).i, 3);
  EXPECT_EQ(*abuse->lookup(k.view(), stick::DataType::gpc0, ctx.now), 0u);
  // Not stored in the other table: no sample; the tracked table is untouched.
  EXPECT_FALSE(expr("sc0_http_req_cnt(abuse)").eval(ctx).present());
  EXPECT_EQ(expr("sc0_http_req_cnt").eval(ctx).i, 1);
  EXPECT_EQ(expr("sc0_trackers").eval(ctx).i, 1);
  EXPECT_EQ(expr("sc0_trackers(abuse)").eval(ctx).i, 0);
  EXPECT_TRUE(expr("sc0_tracked(abuse)").eval(ctx).b);
  // A table with another key type: no sample (HAProxy's rule since 3.2).
  EXPECT_FALSE(expr("sc0_get_gpc0(names)").eval(ctx).present());
  EXPECT_FALSE(expr("sc0_tracked(names)").eval(ctx).b);
  // Not tracked: nothing, whichever table.
  EXPECT_FALSE(expr("sc1_get_gpc0(abuse)").eval(ctx).present());
  sc.end_session(ctx.now);
}

TEST(StickWiring, TextSamplesKeyIpAndIntegerTables) {
  Built b = build(std::string(kHead) +
                  "frontend f\n  stick-table type ip size 10 expire 1m store http_req_cnt\n"
                  "backend ids\n  stick-table type integer size 10 expire 1m store http_req_cnt\n"
                  "backend v6\n  stick-table type ipv6 size 10 expire 1m store http_req_cnt\n");
  ASSERT_TRUE(b.rt) << b.error;
  Exprs expr(b, "f");
  http::RequestHead head;
  head.method_text = "GET";
  head.target = "/item?id=42x";
  head.headers = {{"X-Forwarded-For", "203.0.113.5, 192.0.2.44"}, {"X-Real", "2001:db8::5"}, {"X-Bad", "unknown"}};
  auto track = [&](const char* key, const char* table) {
    rules::SessionCounters sc;
    auto ctx = context_from("198.51.100.9", 1000);
    ctx.req = &head;
    sc.track(ctx, 0, expr(key), b.rt->find_table(table), true);
    bool tracked = ctx.sc[0] != nullptr;
    sc.end_request(ctx.now, false, 0, 0);
    return tracked;
  };
  auto count_of = [&](const char* table, const char* key) -> long long {
    stick::StickTable* t = b.rt->find_table(table);
    stick::KeyBuf k;
    EXPECT_TRUE(stick::parse_key_text(t->key_format(), key, k));
    auto v = t->lookup(k.view(), stick::DataType::http_req_cnt, context_from("198.51.100.9", 1000).now);
    return v ? static_cast<long long>(*v) : -1;
  };
  EXPECT_TRUE(track("req.hdr(x-forwarded-for)", "f"));  // the last value of the list, as HAProxy
  EXPECT_EQ(count_of("f", "192.0.2.44"), 1);
  EXPECT_TRUE(track("req.hdr(x-forwarded-for,1)", "f"));
  EXPECT_EQ(count_of("f", "203.0.113.5"), 1);
  EXPECT_TRUE(track("req.hdr_ip(x-forwarded-for)", "v6"));  // an address: v4-mapped in ipv6
  EXPECT_EQ(count_of("v6", "::ffff:192.0.2.44"), 1);
  EXPECT_TRUE(track("req.hdr(x-real)", "v6"));
  EXPECT_EQ(count_of("v6", "2001:db8::5"), 1);
  EXPECT_TRUE(track("url_param(id)", "ids"));  // "42x": the leading digits
  EXPECT_EQ(count_of("ids", "42"), 1);
  // Unconvertible: not tracked, nothing stored, no error.
  EXPECT_FALSE(track("req.hdr(x-bad)", "f"));
  EXPECT_FALSE(track("req.hdr(x-real)", "f"));
  EXPECT_FALSE(track("req.hdr(x-missing)", "ids"));
  EXPECT_EQ(b.rt->find_table("f")->entries(), 2u);
  EXPECT_EQ(b.rt->find_table("ids")->entries(), 1u);
}

TEST(StickWiring, TableConvertersAndCountsByAnyKey) {
  Built b = build(std::string(kHead) +
                  "frontend f\n  stick-table type ip size 10 expire 1m store http_req_cnt,gpc0,conn_cur\n"
                  "  http-request deny if { req.hdr(x-client),table_gpc0(f) gt 0 }\n"
                  "backend ids\n  stick-table type integer size 5 expire 1m store http_req_cnt\n");
  ASSERT_TRUE(b.rt) << b.error;
  Exprs expr(b, "f");
  http::RequestHead head;
  head.headers = {{"X-Client", "198.51.100.9"}, {"X-Other", "198.51.100.10"}, {"X-Id", "7"}};
  rules::SessionCounters sc;
  auto ctx = context_from("198.51.100.9", 1000);
  ctx.req = &head;
  sc.track(ctx, 0, expr("src"), expr.r.own_table, true);
  sc.inc_gpc(ctx, 0, 0);
  EXPECT_EQ(expr("req.hdr(x-client),table_gpc0(f)").eval(ctx).i, 1);
  EXPECT_EQ(expr("req.hdr(x-client),table_http_req_cnt(f)").eval(ctx).i, 1);
  EXPECT_EQ(expr("req.hdr(x-client),table_trackers(f)").eval(ctx).i, 1);
  EXPECT_EQ(expr("req.hdr(x-client),table_conn_cur(f)").eval(ctx).i, 1);
  EXPECT_TRUE(expr("req.hdr(x-client),in_table(f)").eval(ctx).b);
  EXPECT_TRUE(expr("src,in_table(f)").eval(ctx).b);
  // Another key: absent, 0; a value not stored: no sample; no key: no sample.
  EXPECT_FALSE(expr("req.hdr(x-other),in_table(f)").eval(ctx).b);
  EXPECT_EQ(expr("req.hdr(x-other),table_gpc0(f)").eval(ctx).i, 0);
  EXPECT_TRUE(expr("req.hdr(x-other),table_gpc0(f)").eval(ctx).present());
  EXPECT_FALSE(expr("req.hdr(x-client),table_http_err_cnt(f)").eval(ctx).present());
  EXPECT_FALSE(expr("req.hdr(x-missing),table_gpc0(f)").eval(ctx).present());
  EXPECT_EQ(expr("req.hdr(x-id),table_http_req_cnt(ids)").eval(ctx).i, 0);
  // Entries in use and free: table_cnt/table_avl, own table by default.
  EXPECT_EQ(expr("table_cnt").eval(ctx).i, 1);
  EXPECT_EQ(expr("table_avl").eval(ctx).i, 9);
  EXPECT_EQ(expr("table_avl(ids)").eval(ctx).i, 5);
  sc.end_request(ctx.now, false, 0, 0);
  // Errors: a converter's table is required and must exist.
  for (const char* bad : {"src,table_gpc0", "src,table_gpc0()", "src,table_gpc0(nope)", "src,lower(x)"})
    EXPECT_FALSE(rules::SampleExpr::parse(bad, expr.r, "w")) << bad;
}

}  // namespace
}  // namespace tandem::balancer
