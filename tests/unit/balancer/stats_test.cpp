// The stats rows and their renderings (CSV, JSON, HTML, Prometheus), the
// stats keywords, and the runtime API's language, on runtimes built from
// configuration text (no sockets, no checker).
#include <gtest/gtest.h>

#include "balancer/config/parser.h"
#include "balancer/runtime/runtime.h"
#include "balancer/stats/cli.h"
#include "balancer/stats/field_descs.h"
#include "balancer/stats/prometheus.h"
#include "balancer/stats/show_info.h"
#include "balancer/stats/stats_page.h"
#include "common/strings.h"

namespace tandem::balancer::stats {
namespace {

Result<config::Config> parse(std::string_view text) {
  auto lines = tandem::config::lex(text, "s.cfg");
  if (!lines) return std::unexpected(lines.error());
  return config::parse(*lines);
}

constexpr std::string_view kConfig =
    "defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n"
    "listen stats\n  bind 127.0.0.1:8404\n  stats uri /stats\n  stats auth admin:pw\n  stats refresh 5s\n"
    "  stats admin if LOCALHOST\n"
    "frontend web\n  bind 127.0.0.1:8080\n  default_backend farm\n"
    "backend farm\n  server a 192.0.2.1:80 weight 3\n  server b 192.0.2.2:80 backup cookie \"x,y\"\n";

struct Fixture {
  explicit Fixture(std::string_view text = kConfig) {
    auto c = parse(text);
    EXPECT_TRUE(c) << (c ? "" : c.error().message);
    auto r = runtime::Runtime::build(*c, 2, sticks);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    rt = std::move(*r);
    src = std::make_unique<StatsSource>(*rt, nullptr, ProcessInfo{.version = "9.9", .node = "n1", .pid = 42});
  }
  stick::StickRegistry sticks{stick::StickRegistry::Options{.node = "n", .instance_id = "i", .log_capacity = 1024}};
  std::unique_ptr<runtime::Runtime> rt;
  std::unique_ptr<StatsSource> src;
};

const config::Proxy& proxy(const config::Config& c, std::string_view name) {
  for (const auto& p : c.proxies)
    if (p.name == name) return p;
  throw std::runtime_error("no proxy");
}

TEST(StatsConfig, KeywordsFillThePage) {
  auto c = parse(kConfig);
  ASSERT_TRUE(c) << c.error().message;
  const config::StatsPage& s = proxy(*c, "stats").stats;
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.uri, "/stats");
  EXPECT_EQ(s.refresh, config::Millis(5000));
  ASSERT_EQ(s.users.size(), 1u);
  EXPECT_EQ(s.users[0], std::make_pair(std::string("admin"), std::string("pw")));
  EXPECT_FALSE(proxy(*c, "web").stats.enabled);
  // `stats uri` alone enables, with HAProxy's default otherwise.
  auto d = parse("frontend f\n  bind :80\n  stats realm R\n");
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->proxies[0].stats.enabled);
  EXPECT_EQ(d->proxies[0].stats.uri, "/haproxy?stats");
}

TEST(StatsConfig, ErrorsNameFileAndLine) {
  struct Case {
    std::string_view text, error;
  } cases[] = {
      {"frontend f\n  stats auth nocolon\n", "s.cfg:2: stats auth: expects USER:PASSWORD"},
      {"frontend f\n  stats uri stats\n", "s.cfg:2: stats uri: expects a path starting with '/'"},
      {"frontend f\n  stats admin LOCALHOST\n", "s.cfg:2: stats admin: expects 'if CONDITION'"},
      {"defaults\n  stats admin if TRUE\n", "s.cfg:2: stats admin: not allowed in a defaults section"},
      {"frontend f\n  stats socket /x\n", "s.cfg:2: stats socket: belongs in the global section"},
      {"frontend f\n  stats bogus\n", "s.cfg:2: stats bogus: unknown"},
      {"frontend f\n  capture request header Host\n", "s.cfg:2: capture: expects 'capture request|response header"},
  };
  for (const Case& k : cases) {
    auto c = parse(k.text);
    ASSERT_FALSE(c) << k.text;
    EXPECT_TRUE(c.error().message.starts_with(k.error)) << c.error().message;
  }
}

TEST(StatsRows, HaproxysOrderAndFields) {
  Fixture f;
  auto rows = f.src->rows();
  std::vector<std::string> order;
  for (const auto& r : rows) order.push_back(r.str(Col::pxname) + "/" + r.str(Col::svname));
  EXPECT_EQ(order, (std::vector<std::string>{"stats/FRONTEND", "stats/BACKEND", "web/FRONTEND", "farm/a", "farm/b",
                                             "farm/BACKEND"}));
  const StatRow& a = rows[3];
  EXPECT_EQ(a.str(Col::status), "no check");
  EXPECT_EQ(a.num(Col::weight), 3u);
  EXPECT_EQ(a.str(Col::addr), "192.0.2.1:80");
  EXPECT_EQ(a.num(Col::type), 2u);
  EXPECT_TRUE(a[Col::check_status].empty());
  const StatRow& be = rows[5];
  EXPECT_EQ(be.str(Col::status), "UP");
  EXPECT_EQ(be.num(Col::weight), 3u);  // the backup does not count while an active server is up
  EXPECT_EQ(be.num(Col::act), 1u);
  EXPECT_EQ(be.num(Col::bck), 1u);
  // The accept loops' reserved slots are not sessions.
  EXPECT_EQ(rows[2].num(Col::scur), 0u);
  EXPECT_EQ(rows[1].str(Col::status), "UP");  // a listen with no server
}

TEST(StatsRows, OperatorActionsChangeStatusAndWeight) {
  Fixture f;
  ASSERT_TRUE(f.src->set_state("farm", "a", StatsSource::Action::maint, "test"));
  EXPECT_EQ(f.src->rows()[3].str(Col::status), "MAINT");
  EXPECT_EQ(f.src->rows()[5].str(Col::status), "UP");  // the backup took over
  EXPECT_EQ(f.src->rows()[5].num(Col::weight), 1u);
  ASSERT_TRUE(f.src->set_state("farm", "a", StatsSource::Action::drain, "test"));
  EXPECT_EQ(f.src->rows()[3].str(Col::status), "DRAIN");
  EXPECT_EQ(f.src->set_state("farm", "zz", StatsSource::Action::ready, "t").error().message, "No such server.");
  ASSERT_TRUE(f.src->set_weight("farm", "a", "50%"));
  EXPECT_EQ(f.src->rows()[3].num(Col::uweight), 1u);
  EXPECT_FALSE(f.src->set_weight("farm", "a", "257"));
  EXPECT_FALSE(f.src->set_weight("farm", "a", "x"));
}

TEST(StatsRender, CsvHasEveryColumnAndQuotesCommas) {
  Fixture f;
  std::string csv = render_csv(f.src->rows());
  auto first_nl = csv.find('\n');
  std::string header = csv.substr(0, first_nl);
  EXPECT_TRUE(header.starts_with("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,"));
  EXPECT_TRUE(header.ends_with(",h1_spliced_bytes_in,h1_spliced_bytes_out,"));
  EXPECT_EQ(std::count(header.begin(), header.end(), ','), static_cast<long>(kColumnNames.size()));
  EXPECT_NE(csv.find(",\"x,y\","), std::string::npos);  // the cookie holds a comma
  EXPECT_NE(csv.find("\nfarm,a,"), std::string::npos);
}

TEST(StatsRender, JsonIsTyped) {
  Fixture f;
  std::string j = render_json(f.src->rows());
  EXPECT_TRUE(j.starts_with("[\n["));
  EXPECT_NE(j.find(R"({"objType":"Server","proxyId":)"), std::string::npos);
  EXPECT_NE(j.find(R"("field":{"pos":18,"name":"weight"},"processNum":1,)"
                   R"("tags":{"origin":"Metric","nature":"Avg","scope":"Process"},"value":{"type":"u32","value":3}})"),
            std::string::npos);
  // Positions after the "-" separator are shifted as HAProxy's are.
  EXPECT_EQ(j.find(R"("name":"-")"), std::string::npos);
}

TEST(StatsRender, TypedLinesCarryHaproxysTagsAndTypes) {
  Fixture f;
  std::string t = render_typed(f.src->rows());
  // OBJ.IID.SID.POS.NAME.PROCESS:TAGS:TYPE:VALUE, one line per non-empty field.
  EXPECT_TRUE(t.starts_with("F.")) << t.substr(0, 200);
  EXPECT_NE(t.find(".0.pxname.1:KNS:str:web\n"), std::string::npos);
  EXPECT_NE(t.find(".1.svname.1:KNS:str:FRONTEND\n"), std::string::npos);
  EXPECT_NE(t.find(".18.weight.1:MaP:u32:3\n"), std::string::npos);
  // A backend's act/bck are metrics (gauges), a server's a status.
  EXPECT_NE(t.find(".19.act.1:MGP:u32:"), std::string::npos);
  EXPECT_NE(t.find(".19.act.1:SGP:u32:"), std::string::npos);
  EXPECT_EQ(t.find(".-."), std::string::npos);
  std::string_view rest = t;
  while (!rest.empty()) {
    std::string_view line = rest.substr(0, rest.find('\n'));
    rest.remove_prefix(std::min(rest.size(), line.size() + 1));
    EXPECT_TRUE(line[0] == 'F' || line[0] == 'B' || line[0] == 'S') << line;
    EXPECT_GE(std::count(line.begin(), line.end(), ':'), 3) << line;
  }
}

TEST(StatsRender, DescriptionsEndTypedLines) {
  Fixture f;
  std::string t = render_typed(f.src->rows(), true);
  EXPECT_NE(t.find(".4.scur.1:MGP:u32:0:\"Number of current sessions on the frontend, backend or server\"\n"),
            std::string::npos);
  EXPECT_NE(t.find(".0.pxname.1:KNS:str:web:\"Proxy name\"\n"), std::string::npos);
  // Every column but the separator has one.
  for (std::size_t i = 0; i < kColumnNames.size(); ++i)
    EXPECT_EQ(kColumnDescs[i].empty(), kColumnNames[i] == "-") << kColumnNames[i];
  std::vector<InfoField> info = {{6, "Pid", "SGP", "u32", "This worker process identifier for the system", "42"}};
  EXPECT_EQ(render_info(info, true), "Pid: 42:\"This worker process identifier for the system\"\n");
  EXPECT_EQ(render_info(info), "Pid: 42\n");
  EXPECT_EQ(render_info_typed(info, true), "6.Pid.1:SGP:u32:42:\"This worker process identifier for the system\"\n");
}

TEST(StatsPage, ScopeLimitsTheProxiesShown) {
  Fixture f(
      "defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n"
      "listen stats\n  bind 127.0.0.1:8404\n  stats uri /stats\n  stats scope .\n  stats scope farm\n"
      "  stats scope nope\n  stats admin if TRUE\n"
      "frontend web\n  bind 127.0.0.1:8080\n  default_backend farm\n"
      "backend farm\n  server a 192.0.2.1:80\n"
      "backend other\n  server z 192.0.2.9:80\n");
  const config::Config& cfg = f.rt->config();
  ASSERT_EQ(cfg.proxies[0].stats.scope.size(), 3u);
  EXPECT_EQ(cfg.proxies[0].stats.scope[0].name, "stats");  // "." resolved
  ASSERT_EQ(cfg.warnings.size(), 1u);
  EXPECT_EQ(cfg.warnings[0], "s.cfg:11: stats scope: no proxy named 'nope': the page will not show it");
  PageRequest req{.method = "GET", .target = "/stats;csv", .admin_allowed = true};
  std::string csv = serve_stats(cfg.proxies[0].stats, req, *f.src).bytes;
  EXPECT_NE(csv.find("\nstats,FRONTEND,"), std::string::npos);
  EXPECT_NE(csv.find("\nfarm,a,"), std::string::npos);
  EXPECT_NE(csv.find("\nfarm,BACKEND,"), std::string::npos);
  EXPECT_EQ(csv.find("\nweb,"), std::string::npos);
  EXPECT_EQ(csv.find("\nother,"), std::string::npos);
  req.target = "/stats";
  std::string html = serve_stats(cfg.proxies[0].stats, req, *f.src).bytes;
  EXPECT_NE(html.find(">farm<"), std::string::npos);
  EXPECT_EQ(html.find(">other<"), std::string::npos);
  // The admin form cannot reach a backend the page does not show.
  PageRequest post{.method = "POST", .target = "/stats", .body = "s=z&action=maint&b=other", .admin_allowed = true};
  EXPECT_NE(serve_stats(cfg.proxies[0].stats, post, *f.src).bytes.find("location: /stats;st=DENY\r\n"), std::string::npos);
  post.body = "s=a&action=drain&b=farm";
  EXPECT_NE(serve_stats(cfg.proxies[0].stats, post, *f.src).bytes.find("location: /stats;st=DONE\r\n"), std::string::npos);
}

TEST(StatsPage, AuthFormatsAndAdmin) {
  Fixture f;
  const config::StatsPage& page = f.rt->config().proxies[0].stats;
  PageRequest req{.method = "GET", .target = "/stats"};
  auto r = serve_stats(page, req, *f.src);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.bytes.find("www-authenticate: Basic realm=\"HAProxy Statistics\"\r\n"), std::string::npos);
  req.authorization = "Basic YWRtaW46cHc=";  // admin:pw
  r = serve_stats(page, req, *f.src);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.bytes.find("<meta http-equiv=\"refresh\" content=\"5\">"), std::string::npos);
  EXPECT_NE(r.bytes.find("<tr class=\"no_check\">"), std::string::npos);
  EXPECT_EQ(r.bytes.find("<select"), std::string::npos);  // no admin rights in this request
  req.method = "HEAD";
  r = serve_stats(page, req, *f.src);
  EXPECT_TRUE(r.bytes.ends_with("\r\n\r\n"));
  EXPECT_NE(r.bytes.find("content-length: "), std::string::npos);
  req.method = "GET";
  req.target = "/stats;csv";
  EXPECT_NE(serve_stats(page, req, *f.src).bytes.find("content-type: text/plain\r\n"), std::string::npos);
  req.target = "/stats;json";
  EXPECT_NE(serve_stats(page, req, *f.src).bytes.find("content-type: application/json\r\n"), std::string::npos);

  PageRequest post{.method = "POST", .target = "/stats", .authorization = "Basic YWRtaW46cHc=",
                   .body = "s=a&action=maint&b=farm"};
  r = serve_stats(page, post, *f.src);
  EXPECT_NE(r.bytes.find("location: /stats;st=DENY\r\n"), std::string::npos);
  EXPECT_EQ(f.src->rows()[3].str(Col::status), "no check");
  post.admin_allowed = true;
  r = serve_stats(page, post, *f.src);
  EXPECT_EQ(r.status, 303);
  EXPECT_NE(r.bytes.find("location: /stats;st=DONE\r\n"), std::string::npos);
  EXPECT_EQ(f.src->rows()[3].str(Col::status), "MAINT");
}

TEST(StatsPage, Helpers) {
  EXPECT_EQ(form_decode("a+b%21%zz%4"), "a b!%zz%4");
  EXPECT_EQ(short_duration(5), "5s");
  EXPECT_EQ(short_duration(312), "5m12s");
  EXPECT_EQ(short_duration(7260), "2h1m");
  EXPECT_EQ(short_duration(90000), "1d1h");
  config::StatsPage p;
  p.enabled = true;
  EXPECT_TRUE(is_stats_request(p, "/haproxy?stats;csv"));
  EXPECT_FALSE(is_stats_request(p, "/haproxy"));
}

TEST(Prometheus, StickTableSizesAndUse) {
  Fixture f(cat(kConfig,
                "frontend edge\n  bind 127.0.0.1:8081\n  stick-table type ip size 1k expire 1m store conn_cnt\n"
                "  default_backend farm\n"
                "backend names\n  stick-table type string len 32 size 200 store gpc0\n"));
  f.src->set_sticks(&f.sticks);
  std::string m = render_prometheus(*f.src);
  EXPECT_NE(m.find("# HELP haproxy_sticktable_size Stick table size.\n# TYPE haproxy_sticktable_size gauge\n"),
            std::string::npos);
  EXPECT_NE(m.find("haproxy_sticktable_size{name=\"edge\",type=\"ip\"} 1024\n"), std::string::npos) << m;
  EXPECT_NE(m.find("haproxy_sticktable_size{name=\"names\",type=\"string\"} 200\n"), std::string::npos);
  EXPECT_NE(m.find("haproxy_sticktable_used{name=\"edge\",type=\"ip\"} 0\n"), std::string::npos);
  CliSession s(*f.src, CliLevel::admin);
  bool close = false;
  EXPECT_EQ(s.feed("set table edge key 192.0.2.9 data.conn_cnt 3", close), "\n");
  CliSession t(*f.src, CliLevel::admin);
  EXPECT_EQ(t.feed("set table edge key 192.0.2.10 data.conn_cnt 1", close), "\n");
  m = render_prometheus(*f.src);
  EXPECT_NE(m.find("haproxy_sticktable_used{name=\"edge\",type=\"ip\"} 2\n"), std::string::npos) << m;
  EXPECT_NE(m.find("haproxy_sticktable_used{name=\"names\",type=\"string\"} 0\n"), std::string::npos);
  // Without tables, no family at all (as HAProxy).
  Fixture none;
  EXPECT_EQ(render_prometheus(*none.src).find("haproxy_sticktable"), std::string::npos);
}

TEST(Prometheus, HaproxyNames) {
  Fixture f;
  std::string m = render_prometheus(*f.src);
  EXPECT_NE(m.find("haproxy_server_status{proxy=\"farm\",server=\"a\",state=\"UP\"} 1\n"), std::string::npos);
  EXPECT_NE(m.find("haproxy_server_weight{proxy=\"farm\",server=\"a\"} 3\n"), std::string::npos);
  EXPECT_NE(m.find("# TYPE haproxy_backend_active_servers gauge\n"), std::string::npos);
  EXPECT_NE(m.find("haproxy_frontend_status{proxy=\"web\",state=\"UP\"} 1\n"), std::string::npos);
}

std::string run(CliSession& s, std::string_view line, bool* closed = nullptr) {
  bool c = false;
  std::string out = s.feed(line, c);
  if (closed) *closed = c;
  return out;
}

TEST(Cli, OneLineThenClose) {
  Fixture f;
  CliSession s(*f.src, CliLevel::admin);
  bool closed = false;
  EXPECT_EQ(run(s, "set server farm/a state drain", &closed), "\n");
  EXPECT_TRUE(closed);
  EXPECT_EQ(f.src->rows()[3].str(Col::status), "DRAIN");
  CliSession t(*f.src, CliLevel::admin);
  EXPECT_EQ(run(t, "get weight farm/a;get weight farm/b"), "3 (initial 3)\n\n1 (initial 1)\n\n");
  CliSession u(*f.src, CliLevel::admin);
  EXPECT_TRUE(run(u, "show stat").starts_with("# pxname,svname,"));
}

TEST(Cli, Levels) {
  Fixture f;
  struct Case {
    CliLevel level;
    std::string_view line, out;
  } cases[] = {
      {CliLevel::user, "disable server farm/a", "Permission denied\n\n"},
      {CliLevel::operator_, "set server farm/a weight 2", "Permission denied\n\n"},
      {CliLevel::user, "show servers state nope", "Can't find backend.\n\n"},  // any level, as HAProxy
      {CliLevel::user, "show sess", "Permission denied\n\n"},
      {CliLevel::operator_, "show cli level", "operator\n\n"},
      {CliLevel::admin, "user; show cli level", "\nuser\n\n"},
      {CliLevel::user, "operator", "Permission denied\n\n"},
      {CliLevel::admin, "set server farm/a weight 300", "Absolute weight can only be between 0 and 256 inclusive.\n\n"},
      {CliLevel::admin, "set server farm/x state maint", "No such server.\n\n"},
      {CliLevel::admin, "set server farm/a state up", "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n"},
      {CliLevel::admin, "disable server farm", "Require 'backend/server'.\n\n"},
      {CliLevel::operator_, "show servers state nope", "Can't find backend.\n\n"},
  };
  for (const Case& k : cases) {
    CliSession s(*f.src, k.level);
    EXPECT_EQ(run(s, k.line), k.out) << k.line;
  }
  EXPECT_EQ(f.src->rows()[3].str(Col::status), "no check");
}

TEST(Cli, PromptModeAndQuit) {
  Fixture f;
  CliSession s(*f.src, CliLevel::admin);
  bool closed = true;
  EXPECT_EQ(run(s, "prompt", &closed), "\n> ");
  EXPECT_FALSE(closed);
  EXPECT_EQ(run(s, "get weight farm/a", &closed), "3 (initial 3)\n\n> ");
  EXPECT_FALSE(closed);
  EXPECT_EQ(run(s, "quit", &closed), "");
  EXPECT_TRUE(closed);
}

TEST(Cli, HelpAndUnknown) {
  Fixture f;
  CliSession s(*f.src, CliLevel::user);
  std::string h = run(s, "help");
  EXPECT_TRUE(h.starts_with("The following commands are valid at this level:\n"));
  EXPECT_EQ(h.find("set server"), std::string::npos);  // not at this level
  CliSession t(*f.src, CliLevel::admin);
  std::string u = run(t, "set frobs");
  EXPECT_TRUE(u.starts_with("Unknown command, but maybe one of the following ones is a better match:\n")) << u;
  EXPECT_NE(u.find("  set server <bk>/<srv> [opts]"), std::string::npos);
  EXPECT_EQ(u.find("  show stat"), std::string::npos);  // only the "set" commands
}

// The CSV's data lines as "pxname,svname" pairs.
std::vector<std::string> csv_names(std::string_view csv) {
  std::vector<std::string> out;
  size_t pos = csv.find('\n') + 1;  // after the header
  while (pos < csv.size()) {
    size_t nl = csv.find('\n', pos);
    std::string_view line = csv.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    size_t second = line.find(',', line.find(',') + 1);
    out.emplace_back(line.substr(0, second));
  }
  return out;
}

TEST(Cli, ShowStatSelectsAsHaproxy) {
  Fixture f;  // proxies: stats (id 1), web (2), farm (3, servers a=1 b=2)
  auto show = [&](std::string_view line) {
    CliSession s(*f.src, CliLevel::user);
    bool close = false;
    return s.feed(line, close);
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(csv_names(show("show stat -1 4 -1")), (V{"farm,a", "farm,b"}));
  EXPECT_EQ(csv_names(show("show stat farm 4 2")), (V{"farm,b"}));
  EXPECT_EQ(csv_names(show("show stat 3 2 -1")), (V{"farm,BACKEND"}));
  EXPECT_EQ(csv_names(show("show stat -1 1 -1")), (V{"stats,FRONTEND", "web,FRONTEND"}));
  EXPECT_EQ(csv_names(show("show stat domain proxy web -1 -1")), (V{"web,FRONTEND"}));
  EXPECT_EQ(show("show stat nope 1 -1"), "No such proxy.\n\n");
  EXPECT_EQ(csv_names(show("show stat -1 4")).size(), 6u);  // the selectors come three together, or not at all
  EXPECT_TRUE(show("show stat -1 4 -1 typed").starts_with("S.3.1.0.pxname.1:KNS:str:farm\n"));
  EXPECT_TRUE(show("show stat farm 4 1 json").starts_with("[\n[\n{\"objType\":\"Server\",\"proxyId\":3,\"id\":1,"));
  ASSERT_TRUE(f.src->set_state("farm", "a", StatsSource::Action::maint, "a test"));
  EXPECT_EQ(csv_names(show("show stat -1 4 -1 no-maint")), (V{"farm,b"}));
  EXPECT_EQ(csv_names(show("show stat -1 4 -1 up")), (V{"farm,b"}));
}

TEST(Cli, ShowInfoAndServersState) {
  Fixture f;
  CliSession s(*f.src, CliLevel::operator_);
  std::string info = run(s, "show info");
  EXPECT_TRUE(info.starts_with("Name: Tandem\nVersion: 9.9\nNbthread: 1\n")) << info;
  EXPECT_NE(info.find("\nPid: 42\n"), std::string::npos);
  EXPECT_NE(info.find("\nnode: n1\n"), std::string::npos);
  CliSession ty(*f.src, CliLevel::user);
  std::string typed = run(ty, "show info typed");
  EXPECT_TRUE(typed.starts_with("0.Name.1:POS:str:Tandem\n1.Version.1:POS:str:9.9\n3.Nbthread.1:CGS:u32:1\n")) << typed;
  EXPECT_NE(typed.find("\n6.Pid.1:SGP:u32:42\n"), std::string::npos);
  EXPECT_NE(typed.find("\n50.node.1:COS:str:n1\n"), std::string::npos);
  CliSession js(*f.src, CliLevel::user);
  std::string json = run(js, "show info json");
  EXPECT_TRUE(json.starts_with(R"([{"field":{"pos":0,"name":"Name"},"processNum":1,)"
                               R"("tags":{"origin":"Product","nature":"Output","scope":"Service"},)"
                               R"("value":{"type":"str","value":"Tandem"}},)")) << json;
  EXPECT_NE(json.find(R"("name":"Pid"},"processNum":1,"tags":{"origin":"Status","nature":"Gauge","scope":"Process"},)"
                      R"("value":{"type":"u32","value":42}})"),
            std::string::npos);
  CliSession t(*f.src, CliLevel::operator_);
  std::string st = run(t, "show servers state farm");
  EXPECT_TRUE(st.starts_with("1\n# be_id be_name srv_id srv_name srv_addr srv_op_state "));
  EXPECT_NE(st.find(" farm 1 a 192.0.2.1 2 0 3 3 "), std::string::npos) << st;
}

// scur/smax of a TCP backend: a connection holds the backend's gauge for
// as long as it lives, and smax keeps the highest count.
TEST(SessionGauge, HeldCountsWhileItLives) {
  runtime::SessionGauge g;
  {
    runtime::SessionGauge::Held a(g);
    runtime::SessionGauge::Held b(g);
    EXPECT_EQ(g.current(), 2u);
  }
  EXPECT_EQ(g.current(), 0u);
  EXPECT_EQ(g.max(), 2u);
}

}  // namespace
}  // namespace tandem::balancer::stats
