#include "balancer/config/parser.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace tandem::balancer::config {
namespace {

Result<Config> parse_text(std::string_view text) {
  auto lines = tandem::config::lex(text, "b.cfg");
  if (!lines) return std::unexpected(lines.error());
  return parse(*lines);
}

Config ok(std::string_view text) {
  auto c = parse_text(text);
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return c ? *c : Config{};
}

std::string error_of(std::string_view text) {
  auto c = parse_text(text);
  EXPECT_FALSE(c) << text;
  return c ? "" : c.error().message;
}

TEST(BalancerConfig, Global) {
  Config c = ok(
      "global\n  maxconn 100\n  nbthread 2\n  daemon\n  pidfile /run/x.pid\n  user haproxy\n  group haproxy\n"
      "  chroot /var/lib/haproxy\n  log /dev/log local0\n  log /dev/log local1 notice\n"
      "  stats socket /run/haproxy/admin.sock mode 660 level admin\n  stats timeout 30s\n"
      "  tune.bufsize 32k\n  tune.maxrewrite 2048\n  ulimit-n 4000\n"
      "  ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256\n"
      "  ssl-default-bind-options ssl-min-ver TLSv1.2\n  localpeer lb1\n  hard-stop-after 30s\n");
  const Global& g = c.global;
  EXPECT_EQ(g.maxconn, 100u);
  EXPECT_EQ(g.nbthread, 2u);
  EXPECT_TRUE(g.daemon);
  EXPECT_EQ(g.user, "haproxy");
  EXPECT_EQ(g.chroot, "/var/lib/haproxy");
  ASSERT_EQ(g.logs.size(), 2u);
  EXPECT_EQ(g.logs[1].level, "notice");
  ASSERT_EQ(g.stats_sockets.size(), 1u);
  EXPECT_EQ(g.stats_sockets[0].mode, 0660u);
  EXPECT_EQ(g.stats_sockets[0].level, "admin");
  EXPECT_EQ(g.stats_timeout, Millis(30000));
  EXPECT_EQ(g.bufsize, 32768u);
  EXPECT_EQ(g.maxrewrite, 2048u);
  EXPECT_EQ(g.ssl_default_bind.min_ver, TlsVersion::tlsv12);
  EXPECT_EQ(g.node, "lb1");
  EXPECT_EQ(g.hard_stop_after, Millis(30000));
}

TEST(BalancerConfig, DefaultsApplyToTheProxiesAfterThem) {
  Config c = ok(
      "defaults\n  mode http\n  timeout client 30s\n  retries 5\n  option forwardfor\n"
      "frontend a\n  bind :80\n  default_backend b1\n"
      "backend b1\n  server s 10.0.0.1:80\n"
      "defaults\n  mode tcp\n"
      "backend b2\n  server s 10.0.0.2:80\n");
  ASSERT_EQ(c.proxies.size(), 3u);
  EXPECT_EQ(c.proxies[0].mode, Mode::http);
  EXPECT_EQ(c.proxies[0].timeouts.client, Millis(30000));
  EXPECT_TRUE(c.proxies[0].forwardfor.enabled);
  EXPECT_EQ(c.proxies[1].retries, 5u);
  // A new defaults section starts afresh: nothing of the first one remains.
  EXPECT_EQ(c.proxies[2].mode, Mode::tcp);
  EXPECT_FALSE(c.proxies[2].timeouts.client);
  EXPECT_EQ(c.proxies[2].retries, 3u);
}

TEST(BalancerConfig, NamedDefaults) {
  Config c = ok(
      "defaults web\n  mode http\n  timeout server 7s\n"
      "defaults tcpdef\n  mode tcp\n"
      "defaults child from web\n  retries 9\n"
      "backend b from web\n  server s 10.0.0.1:80\n"
      "backend c from child\n  server s 10.0.0.1:80\n"
      "backend d\n  server s 10.0.0.1:80\n");
  EXPECT_EQ(c.proxies[0].mode, Mode::http);
  EXPECT_EQ(c.proxies[1].timeouts.server, Millis(7000));
  EXPECT_EQ(c.proxies[1].retries, 9u);
  EXPECT_EQ(c.proxies[2].mode, Mode::http);  // the last defaults section: child
  EXPECT_NE(error_of("backend b from nope\n").find("no defaults section named 'nope'"), std::string::npos);
}

TEST(BalancerConfig, Binds) {
  Config c = ok(
      "frontend f\n  bind *:80\n  bind 198.18.0.10:443,198.18.0.11:443\n  bind :::8080 v4v6\n  bind [::1]:81\n"
      "  bind 127.0.0.1:9000-9002 name r\n  bind fd@3\n  bind 198.18.0.100:80 transparent\n");
  const auto& b = c.proxies[0].binds;
  ASSERT_EQ(b.size(), 10u);
  EXPECT_EQ(b[0].address, "");
  EXPECT_EQ(b[0].port, 80);
  EXPECT_EQ(b[2].address, "198.18.0.11");
  EXPECT_TRUE(b[3].ipv6);
  EXPECT_EQ(b[3].address, "::");
  EXPECT_TRUE(b[3].v4v6);
  EXPECT_EQ(b[4].address, "::1");
  EXPECT_EQ(b[5].port, 9000);
  EXPECT_EQ(b[7].port, 9002);
  EXPECT_EQ(b[7].name, "r");
  EXPECT_EQ(b[8].inherited_fd, 3);
  EXPECT_TRUE(b[9].transparent);
  EXPECT_EQ(b[9].text(), "198.18.0.100:80");
}

TEST(BalancerConfig, ServersAndBalance) {
  Config c = ok(
      "backend b\n  balance leastconn\n  default-server inter 3s fall 3 rise 2\n"
      "  server web1 10.0.1.10:8080 check weight 100\n"
      "  server web2 10.0.1.11:8080 check weight 50 maxconn 10 maxqueue 5 id 7\n"
      "  server app4 10.0.1.12:80 backup check inter 2s rise 2 fall 5 cookie a4\n"
      "  server any 10.0.1.13\n  server six [2001:db8::1]:80 disabled\n");
  const Proxy& p = c.proxies[0];
  EXPECT_EQ(p.balance.algorithm, Balance::leastconn);
  ASSERT_EQ(p.servers.size(), 5u);
  EXPECT_EQ(p.servers[0].params.inter, Millis(3000));
  EXPECT_EQ(p.servers[0].params.weight, 100u);
  EXPECT_TRUE(p.servers[0].params.check);
  EXPECT_EQ(p.servers[1].id, 7u);
  EXPECT_EQ(p.servers[1].params.maxqueue, 5u);
  EXPECT_EQ(p.servers[0].id, 1u);
  EXPECT_EQ(p.servers[2].id, 2u);  // positions skip ids already taken
  EXPECT_TRUE(p.servers[2].params.backup);
  EXPECT_EQ(p.servers[2].params.fall, 5u);
  EXPECT_EQ(p.servers[2].params.cookie, "a4");
  EXPECT_EQ(p.servers[3].port, 0);  // the client's destination port
  EXPECT_TRUE(p.servers[4].ipv6);
  EXPECT_TRUE(p.servers[4].params.disabled);
}

TEST(BalancerConfig, BalanceAlgorithms) {
  struct Case {
    const char* line;
    Balance want;
  } cases[] = {{"roundrobin", Balance::roundrobin}, {"static-rr", Balance::static_rr},
               {"leastconn", Balance::leastconn},   {"first", Balance::first},
               {"source", Balance::source},         {"uri len 10 depth 2", Balance::uri},
               {"url_param userid", Balance::url_param}, {"hdr(host) use_domain_only", Balance::hdr},
               {"random(3)", Balance::random}};
  for (const auto& k : cases) {
    Config c = ok(std::string("defaults\n  mode http\nbackend b\n  balance ") + k.line + "\n");
    EXPECT_EQ(c.proxies[0].balance.algorithm, k.want) << k.line;
  }
  Config c = ok("defaults\n  mode http\nbackend b\n  balance uri len 10 depth 2\n  hash-type consistent\n");
  EXPECT_EQ(c.proxies[0].balance.uri_len, 10u);
  EXPECT_EQ(c.proxies[0].balance.uri_depth, 2u);
  EXPECT_EQ(c.proxies[0].balance.hash_type, HashType::consistent);
  EXPECT_TRUE(c.proxies[0].balance.hash_avalanche);  // HAProxy's default for consistent
  c = ok("backend b\n  hash-type map-based djb2 avalanche\n");
  EXPECT_EQ(c.proxies[0].balance.hash_function, HashFunction::djb2);
  EXPECT_EQ(error_of("backend b\n  balance uri\n"), "b.cfg:1: backend 'b' (b.cfg:1): 'balance uri' needs mode http");
}

TEST(BalancerConfig, OptionsAndTimeouts) {
  Config c = ok(
      "defaults\n  mode http\n  option http-server-close\n  option redispatch\n  option dontlognull\n"
      "  option forwardfor except 127.0.0.0/8 header X-Client if-none\n  option httplog\n  option contstats\n"
      "  timeout connect 5s\n  timeout client 35s\n  timeout server 35s\n  timeout tunnel 3600s\n"
      "  timeout http-keep-alive 1s\n  timeout http-request 15s\n  timeout queue 30s\n  timeout tarpit 60s\n"
      "  timeout check 5000\n  timeout client-fin 1s\n  timeout server-fin 2s\n  backlog 10000\n  retries 3\n"
      "listen l\n  bind :80\n  no option redispatch\n  option httpclose\n  server s 10.0.0.1:80\n");
  const Proxy& p = c.proxies[0];
  EXPECT_EQ(p.http_conn_mode, HttpConnMode::close);
  EXPECT_FALSE(p.redispatch);
  EXPECT_TRUE(p.dontlognull);
  EXPECT_EQ(p.forwardfor.except, "127.0.0.0/8");
  EXPECT_EQ(p.forwardfor.header, "X-Client");
  EXPECT_TRUE(p.forwardfor.if_none);
  EXPECT_EQ(p.timeouts.tunnel, Millis(3600000));
  EXPECT_EQ(p.timeouts.check, Millis(5000));
  EXPECT_EQ(p.timeouts.server_fin, Millis(2000));
  EXPECT_EQ(p.backlog, 10000u);
  EXPECT_FALSE(p.http_ignore_probes);
  EXPECT_TRUE(ok("defaults\n  mode http\n  option http-ignore-probes\nfrontend f\n  bind :80\n").proxies[0].http_ignore_probes);
  EXPECT_FALSE(ok("defaults\n  mode http\n  option http-ignore-probes\nfrontend f\n  bind :80\n"
                  "  no option http-ignore-probes\n").proxies[0].http_ignore_probes);
}

TEST(BalancerConfig, UserlistAndPeers) {
  Config c = ok(
      "userlist TrustedPeople\n  user bob insecure-password password123\n"
      "  user alice password $6$salt$hash groups admins\n  group admins users bob\n"
      "peers mypeers\n  peer lb1 198.18.0.1:1024\n  peer lb2 198.18.0.2:1024\n");
  ASSERT_EQ(c.userlists.size(), 1u);
  EXPECT_TRUE(c.userlists[0].users[0].insecure);
  EXPECT_EQ(c.userlists[0].users[1].groups, std::vector<std::string>{"admins"});
  ASSERT_EQ(c.peers.size(), 1u);
  EXPECT_EQ(c.peers[0].peers[1].name, "lb2");
}

TEST(BalancerConfig, StickTablesAndStickRules) {
  Config c = ok("peers mesh\n  peer lb1 192.0.2.1:10000\n"
                "frontend f\n  bind :80\n  stick-table type ip size 100k expire 30s store http_req_rate(10s) peers mesh\n"
                "  http-request track-sc0 src\n  default_backend b\n"
                "backend b\n  stick-table type string len 16 size 10 nopurge\n  stick on src\n"
                "  stick store-request hdr(x) table f if TRUE\n");
  ASSERT_EQ(c.proxies.size(), 2u);
  ASSERT_TRUE(c.proxies[0].stick_table);
  const stick::TableDef& t = *c.proxies[0].stick_table;
  EXPECT_EQ(t.name, "f");
  EXPECT_EQ(t.size, 102400u);  // HAProxy: k is 1024
  EXPECT_EQ(t.expire_ms, 30000u);
  EXPECT_EQ(t.peers, "mesh");
  EXPECT_EQ(t.line, 5);
  ASSERT_TRUE(c.proxies[1].stick_table);
  EXPECT_EQ(c.proxies[1].stick_table->key_type, stick::KeyType::string);
  EXPECT_TRUE(c.proxies[1].stick_table->nopurge);
  // `stick` statements are kept, in order, for the rules compiler.
  ASSERT_EQ(c.proxies[1].rules.size(), 2u);
  EXPECT_EQ(c.proxies[1].rules[1].words[1], "store-request");
  EXPECT_EQ(c.proxies[1].rules[1].origin.line, 11);
  // A defaults section declares no table for the proxies after it.
  EXPECT_EQ(error_of("defaults\n  stick-table type ip size 1\n"), "b.cfg:2: stick-table: not allowed in a defaults section");
  EXPECT_EQ(error_of("frontend f\n  stick on src\n"), "b.cfg:2: stick: not allowed because frontend 'f' has no backend capability");
  EXPECT_EQ(error_of("backend b\n  stick-table type ip size 1\n  stick-table type ip size 2\n"),
            "b.cfg:3: stick-table: 'b' already declares a stick-table at b.cfg:2");
  EXPECT_EQ(error_of("backend b\n  stick-table type ip size 1 peers nope\n"),
            "b.cfg:2: stick-table: no peers section named 'nope'");
  EXPECT_EQ(error_of("backend b\n  stick-table type ip\n").substr(0, 20), "b.cfg:2: stick-table");
}

TEST(BalancerConfig, Warnings) {
  Config c = ok("frontend f\n  default_backend b\nbackend b\n  server s 10.0.0.1:80\n");
  ASSERT_FALSE(c.warnings.empty());
  EXPECT_NE(c.warnings[0].find("has no 'bind' line"), std::string::npos);
  bool timeouts = false;
  for (const auto& w : c.warnings) timeouts |= w.find("missing timeouts") != std::string::npos;
  EXPECT_TRUE(timeouts);
}

TEST(BalancerConfig, ErrorsNameFileLineAndKeyword) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"global\n  maxconn 100\n  frobnicate yes\n", "b.cfg:3: frobnicate: unknown keyword in section 'global'"},
      {"global\n  nbthread 0\n", "b.cfg:2: nbthread: '0' is not a number in 1..64"},
      {"global\n  nbproc 2\n", "b.cfg:2: nbproc: not supported: Tandem runs one process with nbthread threads"},
      {"maxconn 5\n", "b.cfg:1: maxconn: unknown keyword outside of any section"},
      {"frontend f\n  frobnicate\n", "b.cfg:2: frobnicate: unknown keyword in frontend 'f'"},
      {"frontend f\n  server s 10.0.0.1:80\n", "b.cfg:2: server: not allowed because frontend 'f' has no backend capability"},
      {"backend b\n  bind :80\n", "b.cfg:2: bind: not allowed because backend 'b' has no frontend capability"},
      {"defaults\n  server s 10.0.0.1:80\n", "b.cfg:2: server: not allowed in a defaults section"},
      {"defaults\n  timeout client 1x\n", "b.cfg:2: timeout client: '1x': unknown time unit 'x' (us, ms, s, m, h, d)"},
      {"defaults\n  timeout bogus 1s\n", "b.cfg:2: timeout bogus: unknown timeout"},
      {"defaults\n  mode ftp\n", "b.cfg:2: mode: 'ftp' is not 'tcp' or 'http'"},
      {"backend b\n  server s app1.example.com:80\n",
       "b.cfg:2: server: 'app1.example.com:80': 'app1.example.com' is not a numeric IP address (Tandem resolves no host names)"},
      {"backend b\n  server s 10.0.0.1:99999\n", "b.cfg:2: server: '10.0.0.1:99999': port '99999' is not in 1..65535"},
      {"backend b\n  server s 10.0.0.1:80 weight 300\n", "b.cfg:2: server weight: '300' is not a number in 0..256"},
      {"backend b\n  server s 10.0.0.1:80 frob\n", "b.cfg:2: server: 'frob': unknown server option"},
      {"backend b\n  server s 10.0.0.1:80\n  server s 10.0.0.2:80\n", "b.cfg:3: server: 's' is already declared at b.cfg:2"},
      {"backend b\n  server s 10.0.0.1:80 id 3\n  server t 10.0.0.2:80 id 3\n",
       "b.cfg:3: server 't': id 3 is already used in backend 'b' (b.cfg:1)"},
      {"frontend f\n  bind 10.0.0.1\n", "b.cfg:2: bind: '10.0.0.1': a port is required"},
      {"frontend f\n  bind :80 accept-proxy\n", "b.cfg:2: bind: 'accept-proxy': the PROXY protocol is not supported"},
      {"frontend f\n  bind :80-9000\n", "b.cfg:2: bind: ':80-9000': port range wider than 1024 ports"},
      {"backend b\n  balance frob\n", "b.cfg:2: balance: unknown algorithm 'frob'"},
      {"frontend f\n  bind :80\n  default_backend nope\n", "b.cfg:1: frontend 'f' (b.cfg:1): default_backend 'nope' does not exist"},
      {"frontend f\n  mode http\n  bind :80\n  default_backend b\nbackend b\n  mode tcp\n",
       "b.cfg:1: frontend 'f' (b.cfg:1): backend 'b' is in tcp mode, the frontend in http mode"},
      {"frontend f\nfrontend f\n", "b.cfg:2: frontend: frontend 'f' is already declared at b.cfg:1"},
      {"listen fpo-wiki 0.0.0.0:10001\n", "b.cfg:1: listen: the address on the 'listen' line is not supported: use a 'bind' line"},
      {"defaults\n  option frob\n", "b.cfg:2: option frob: unknown option"},
      {"defaults\n  errorfile 503 /nonexistent/503.http\n", "b.cfg:2: errorfile: cannot read '/nonexistent/503.http'"},
      {"defaults\n  errorfile 302 /dev/null\n", "b.cfg:2: errorfile: status 302 cannot be customised"},
      {"resolvers dns\n", "b.cfg:1: resolvers: this section is not supported"},
      {"userlist u\n  user bob\n", "b.cfg:2: user: 'bob' has no password"},
      {"peers p\n  peer a lb1:1024\n", "b.cfg:2: peer: 'lb1' is not a numeric IP address (no DNS at load time)"},
      {"global\n  tune.bufsize 4096\n  tune.maxrewrite 2048\n",
       "tune.maxrewrite (2048) must be less than half of tune.bufsize (4096)"},
      {"defaults\n  contimeout 5s\n", "b.cfg:2: contimeout: removed keyword: use 'timeout connect|client|server'"},
      {"global\n  log /dev/log local9\n", "b.cfg:2: log: unknown facility 'local9'"},
      {"global\n  stats socket /run/a.sock level root\n", "b.cfg:2: stats socket: level 'root' is not user, operator or admin"},
  };
  for (const auto& c : cases) EXPECT_EQ(error_of(c.text), c.want);
}

TEST(BalancerConfig, LoadReadsADirectoryInOrder) {
  auto dir = std::filesystem::temp_directory_path() / ("tandem-cfgdir-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "20-backend.cfg") << "backend b\n  server s 10.0.0.1:80\n";
  std::ofstream(dir / "10-global.cfg") << "global\n  maxconn 7\n";
  std::ofstream(dir / "notes.txt") << "not a config\n";
  auto c = load({dir.string()});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->global.maxconn, 7u);
  EXPECT_EQ(c->files.size(), 2u);
  EXPECT_EQ(c->proxies[0].origin.file, (dir / "20-backend.cfg").string());
  std::filesystem::remove_all(dir);
}

TEST(BalancerConfig, BindTlsOptions) {
  Config c = ok(
      "global\n  ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256\n"
      "  ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets\n"
      "  ssl-default-server-options no-tlsv13\n"
      "frontend f\n  mode http\n"
      "  bind :443 ssl crt /a.pem crt /dir crt-list /l.txt strict-sni alpn h2,http/1.1 ssl-max-ver TLSv1.3 "
      "ciphersuites TLS_AES_128_GCM_SHA256 curves P-256 ca-file /ca.pem verify required\n"
      "  default_backend b\n"
      "backend b\n  mode http\n"
      "  server s 10.0.0.1:443 ssl verify none sni req.hdr(host) alpn http/1.1 crt /c.pem check check-ssl\n"
      "  server t 10.0.0.2:443 ssl verify required ca-file /ca.pem verifyhost api.example.com check-sni h.example.com\n");
  const config::Global& g = c.global;
  EXPECT_EQ(g.ssl_default_bind.ciphers, "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_EQ(g.ssl_default_bind.min_ver, TlsVersion::tlsv12);
  EXPECT_EQ(g.ssl_default_bind.no_tls_tickets, true);
  EXPECT_EQ(g.ssl_default_server.disabled, std::vector<TlsVersion>{TlsVersion::tlsv13});
  const BindTls& t = c.proxies[0].binds[0].tls;
  EXPECT_TRUE(t.enabled);
  EXPECT_EQ(t.crts, (std::vector<std::string>{"/a.pem", "/dir"}));
  EXPECT_EQ(t.crt_lists, std::vector<std::string>{"/l.txt"});
  EXPECT_TRUE(t.strict_sni);
  EXPECT_EQ(t.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(t.settings.max_ver, TlsVersion::tlsv13);
  EXPECT_EQ(t.settings.ciphersuites, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(t.settings.curves, "P-256");
  EXPECT_EQ(t.ca_file, "/ca.pem");
  EXPECT_EQ(t.verify, TlsVerify::required);
  const ServerTls& st = c.proxies[1].servers[0].params.tls;
  EXPECT_TRUE(st.enabled);
  EXPECT_TRUE(st.check_ssl);
  EXPECT_EQ(st.verify, TlsVerify::none);
  EXPECT_EQ(st.sni, "req.hdr(host)");
  EXPECT_EQ(st.crt, "/c.pem");
  EXPECT_EQ(st.verify_host, "");
  const ServerTls& st2 = c.proxies[1].servers[1].params.tls;
  EXPECT_EQ(st2.verify_host, "api.example.com");
  EXPECT_EQ(st2.check_sni, "h.example.com");
}

TEST(BalancerConfig, TlsMistakesNameTheLine) {
  EXPECT_EQ(error_of("frontend f\n  bind :443 ssl\n"),
            "b.cfg:2: bind: 'ssl' needs a certificate: 'crt FILE|DIR' or 'crt-list FILE'");
  EXPECT_EQ(error_of("frontend f\n  bind :443 crt /a.pem\n"),
            "b.cfg:2: bind: 'crt', 'crt-list' and 'ca-file' need 'ssl' on the same line");
  EXPECT_EQ(error_of("frontend f\n  bind :443 ssl crt /a.pem verify required\n"),
            "b.cfg:2: bind: 'verify' needs 'ca-file' to check client certificates");
  EXPECT_EQ(error_of("frontend f\n  bind :443 ssl crt /a.pem ssl-min-ver TLSv9\n"),
            "b.cfg:2: bind: 'ssl-min-ver TLSv9': expects SSLv3, TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3");
  EXPECT_EQ(error_of("frontend f\n  bind :443 ssl crt /a.pem verify sometimes\n"),
            "b.cfg:2: bind: 'verify sometimes': expects none, optional or required");
  EXPECT_EQ(error_of("global\n  ssl-default-bind-options no-such-thing\n"),
            "b.cfg:2: ssl-default-bind-options: 'no-such-thing': unknown TLS option");
  EXPECT_EQ(error_of("backend b\n  server s 10.0.0.1:443 ssl verify optional\n"),
            "b.cfg:2: server: 'verify optional': expects none or required");
  EXPECT_EQ(error_of("backend b\n  server s 10.0.0.1:443 ssl verifyhost\n"),
            "b.cfg:2: server: 'verifyhost': expects a value");
  EXPECT_EQ(error_of("backend b\n  server s 10.0.0.1:443 ssl check-sni\n"),
            "b.cfg:2: server: 'check-sni': expects a value");
  EXPECT_EQ(error_of("frontend f\n  bind :443 ssl crt /a.pem crl-file /crl.pem\n"),
            "b.cfg:2: bind: 'crl-file': this TLS option is not supported");
  EXPECT_EQ(error_of("backend b\n  server s 10.0.0.1:443 ssl crl-file /crl.pem\n"),
            "b.cfg:2: server: 'crl-file': this TLS option is not supported");
}

}  // namespace
}  // namespace tandem::balancer::config
