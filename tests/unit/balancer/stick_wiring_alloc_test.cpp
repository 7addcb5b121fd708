// A request through the seeds' rate limit plus stick on src allocates
// nothing once its source's entries exist: the compiled rules (track-sc0,
// the sc_http_req_rate ACL), stick match and store, and the end of the
// request, counted through a replaced operator new.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "balancer/config/parser.h"
#include "balancer/proxy/stick_persist.h"
#include "balancer/rules/stick_glue.h"
#include "balancer/runtime/runtime.h"

namespace {
thread_local bool counting = false;
thread_local long allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (counting) ++allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace tandem::balancer {
namespace {

TEST(StickWiringAlloc, NoAllocationPerRequestOnceTheEntriesExist) {
  auto lines = tandem::config::lex(
      "defaults\n  mode http\n"
      "frontend f\n  bind :80\n"
      "  stick-table type ip size 100k expire 30s store http_req_rate(10s)\n"
      "  http-request track-sc0 src\n"
      "  http-request deny deny_status 429 if { sc_http_req_rate(0) gt 1000000 }\n"
      "  default_backend be\n"
      "backend be\n  stick-table type ip size 200k expire 30m\n  stick on src\n"
      "  server a 192.0.2.1:80\n  server b 192.0.2.2:80\n",
      "a.cfg");
  ASSERT_TRUE(lines);
  auto cfg = config::parse(*lines);
  ASSERT_TRUE(cfg);
  stick::StickRegistry reg({.node = "n", .instance_id = "i", .log_capacity = 1024});
  auto rt = runtime::Runtime::build(*cfg, 1, reg);
  ASSERT_TRUE(rt) << rt.error().message;
  runtime::Frontend& fe = *(*rt)->find_frontend("f");
  runtime::Backend& be = *(*rt)->find_backend("be");

  rules::SessionCounters counters;
  rules::EvalContext ctx;
  http::RequestHead req;
  ctx.req = &req;
  std::uint32_t tick = 1000;
  auto request = [&](std::uint32_t i) {
    ctx.src = asio::ip::address_v4(0x0a000000u + (i % 500));
    ctx.now = stick::StickNow{++tick, 1'700'000'000'000'000LL + tick};
    counters.attach(ctx);
    auto v = fe.rules().run_http_request(ctx, req, &counters);
    EXPECT_EQ(v.kind, rules::HttpVerdict::Kind::next);
    proxy::StickMatch m = proxy::stick_match(be, ctx);
    const runtime::Server& s = m.server ? *m.server : *be.servers()[i % 2];
    proxy::stick_store(be, ctx, s, false);
    counters.end_request(ctx.now, false, 200, 300);
  };
  for (std::uint32_t i = 0; i < 2000; ++i) request(i);  // every source's entries exist now
  counting = true;
  for (std::uint32_t i = 0; i < 5000; ++i) request(i);
  counting = false;
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ((*rt)->find_table("f")->entries(), 500u);
  EXPECT_EQ((*rt)->find_table("be")->entries(), 500u);
}

}  // namespace
}  // namespace tandem::balancer
