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

}  // namespace
}  // namespace tandem::balancer
