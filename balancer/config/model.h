#pragma once
// The balancer's validated configuration: plain structs, no behaviour. The
// parser (parser.h) fills them from HAProxy's language; the runtime
// (balancer/runtime) is built from them. Every value here is final: defaults
// sections are already applied, names are resolved.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "balancer/stick/stick_types.h"

namespace tandem::balancer::config {

using Millis = std::chrono::milliseconds;

// Where a statement came from, for messages at run time ("web/app1 declared at FILE:LINE").
struct Origin {
  std::string file;
  int line = 0;
  std::string where() const { return file + ":" + std::to_string(line); }
};

enum class Mode { tcp, http };

// `log ADDRESS [len N] [format F] FACILITY [LEVEL [MINLEVEL]]`, or `log global`.
struct LogTarget {
  std::string address;  // /dev/log, udp@host:port, host:port, stdout, stderr
  std::string facility;
  std::string level;    // empty: all
  std::string min_level;
  std::string format;   // rfc3164 (default), rfc5424, ...
  std::uint32_t max_len = 1024;
};

// `stats socket PATH [mode M] [level L] [user U] [group G] [expose-fd listeners]`.
struct StatsSocket {
  std::string path;
  std::uint32_t mode = 0;  // 0: the umask's
  std::string level = "operator";
  std::string user;   // `user NAME`
  std::string group;  // `group NAME`
  std::optional<std::uint32_t> uid, gid;  // `uid N`, `gid N`: numbers, no passwd entry needed (as HAProxy)
  bool expose_fd = false;  // `expose-fd listeners`: hands the listeners to a new process (-x)
  Origin origin;
};

// TLS protocol versions, in order; `none`: not set.
enum class TlsVersion : std::uint8_t { none, sslv3, tlsv10, tlsv11, tlsv12, tlsv13 };

// What binds, servers and the ssl-default-* lines have in common. Unset
// fields (empty, none, nullopt) fall back to the global default, then to
// OpenSSL's.
struct TlsSettings {
  std::string ciphers;       // TLS <= 1.2 cipher list
  std::string ciphersuites;  // TLS 1.3
  std::string curves;        // groups, "X25519:P-256"
  TlsVersion min_ver = TlsVersion::none;
  TlsVersion max_ver = TlsVersion::none;
  std::vector<TlsVersion> disabled;      // no-sslv3, no-tlsv10...
  std::optional<bool> no_tls_tickets;
  std::optional<bool> prefer_client_ciphers;
};

// Client certificates on a bind (`verify`), and the server's certificate for a `server ... ssl`.
enum class TlsVerify : std::uint8_t { unset, none, optional, required };

// The TLS side of a `bind ... ssl` line.
struct BindTls {
  bool enabled = false;                 // `ssl`
  std::vector<std::string> crts;        // `crt FILE|DIR` (crt-base applied), in order: the first is the default
  std::vector<std::string> crt_lists;   // `crt-list FILE`
  bool strict_sni = false;
  std::vector<std::string> alpn;        // protocol names, in preference order
  std::string ca_file;                  // client certificates' CAs
  TlsVerify verify = TlsVerify::unset;  // unset: none
  TlsSettings settings;
};

// The TLS side of a `server` line (`ssl`, `check-ssl` and their options).
struct ServerTls {
  bool enabled = false;    // `ssl`
  bool check_ssl = false;  // `check-ssl`: health checks over TLS even without `ssl`
  TlsVerify verify = TlsVerify::unset;  // unset: required, as HAProxy
  std::string ca_file;
  std::string crt;         // client certificate (PEM with key)
  std::string sni;         // a sample expression, as written
  std::string verify_host; // `verifyhost`: the name checked when no SNI was sent
  std::string check_sni;   // `check-sni`: the SNI of health checks (a plain name)
  std::vector<std::string> alpn;
  TlsSettings settings;
};

struct Global {
  std::uint32_t maxconn = 0;   // 0: derived from the open-file limit
  std::uint32_t nbthread = 0;  // 0: one per CPU
  bool daemon = false;
  std::string pidfile;
  std::string user;
  std::string group;
  std::string chroot;
  std::vector<LogTarget> logs;
  std::string log_tag;  // `log-tag`; empty: "haproxy"
  // `log-send-hostname [NAME]`: the syslog header carries a hostname (NAME,
  // or the system's when empty). Unset: none (rfc5424 prints "-").
  std::optional<std::string> log_send_hostname;
  std::vector<StatsSocket> stats_sockets;
  Millis stats_timeout{10000};
  std::uint32_t bufsize = 16384;       // tune.bufsize
  std::uint32_t maxrewrite = 1024;     // tune.maxrewrite: room kept for header additions
  std::uint32_t max_headers = 101;     // tune.http.maxhdr
  std::uint32_t ulimit_n = 0;
  std::string node;                    // `localpeer`; empty: the host name
  std::uint32_t spread_checks = 0;     // percent of jitter on check intervals
  std::optional<Millis> hard_stop_after;
  // TLS defaults: `ssl-default-bind-*` and `ssl-default-server-*`
  // (ciphers, ciphersuites, options), applied under each bind's and server's
  // own settings.
  TlsSettings ssl_default_bind;
  TlsSettings ssl_default_server;
  TlsVerify ssl_server_verify = TlsVerify::required;  // `ssl-server-verify`: servers' default
  std::uint32_t ssl_cachesize = 20000;  // tune.ssl.cachesize: sessions kept per bind
  std::string ca_base;
  std::string crt_base;
};

// One `bind` line (one listener per address; a port range is several).
struct Bind {
  std::string address;  // numeric IP, "" for any (IPv4 and IPv6 with v4v6)
  std::uint16_t port = 0;
  bool ipv6 = false;
  int inherited_fd = -1;  // fd@N
  bool transparent = false;
  bool v4v6 = false;
  bool v6only = false;
  std::string name;
  std::uint32_t backlog = 0;
  BindTls tls;
  Origin origin;

  std::string text() const;  // "198.18.0.1:80", "[::]:443", "fd@3"
};

struct Timeouts {
  std::optional<Millis> connect, client, server, http_request, http_keep_alive, queue, tunnel, client_fin,
      server_fin, check, tarpit;
};

// `option forwardfor [except NET] [header NAME] [if-none]`.
struct ForwardFor {
  bool enabled = false;
  std::string except;  // CIDR; empty: none
  std::string header = "X-Forwarded-For";
  bool if_none = false;
};

enum class HttpConnMode { keep_alive, server_close, close };

enum class Balance { roundrobin, static_rr, leastconn, first, source, uri, url_param, hdr, random };
enum class HashType { map_based, consistent };
enum class HashFunction { sdbm, djb2, wt6, crc32 };

struct BalanceSpec {
  Balance algorithm = Balance::roundrobin;
  // uri
  std::uint32_t uri_len = 0;    // 0: whole
  std::uint32_t uri_depth = 0;  // 0: whole
  bool uri_whole = false;       // `whole`: include the query string
  // url_param NAME / hdr(NAME)
  std::string param;
  bool hdr_use_domain_only = false;
  // random(N): N draws, the least loaded wins
  std::uint32_t random_draws = 2;
  HashType hash_type = HashType::map_based;
  HashFunction hash_function = HashFunction::sdbm;
  bool hash_avalanche = false;
  std::string text = "roundrobin";  // as written, for display
};

// Health-check and server options that `default-server` may set too.
struct ServerParams {
  std::uint32_t weight = 1;
  std::uint32_t maxconn = 0;   // 0: unlimited
  std::uint32_t maxqueue = 0;  // 0: unlimited
  std::uint32_t minconn = 0;
  bool backup = false;
  bool disabled = false;
  bool check = false;
  Millis inter{2000};
  std::optional<Millis> fastinter;
  std::optional<Millis> downinter;
  std::uint32_t rise = 2;
  std::uint32_t fall = 3;
  std::uint16_t check_port = 0;  // 0: the server's port
  std::string check_addr;        // empty: the server's address
  Millis slowstart{0};
  std::string observe;           // "", layer4, layer7
  std::uint32_t error_limit = 10;
  std::string on_error = "fail-check";
  std::string cookie;
  bool send_proxy = false;
  bool check_send_proxy = false;
  std::string agent;             // unused; kept for messages
  ServerTls tls;
};

struct Server {
  std::string name;
  std::string address;  // numeric IP
  std::uint16_t port = 0;
  bool ipv6 = false;
  std::uint32_t id = 0;  // `id`, else its position (1-based) in the backend
  ServerParams params;
  Origin origin;
};

// `errorfile CODE FILE`: the whole HTTP response, head and body, as a file.
struct ErrorFile {
  int status = 0;
  std::string path;
  std::string content;  // read at load time
};

// `http-check expect [!] status|rstatus|string|rstring PATTERN`.
struct HttpCheckExpect {
  enum class Kind { status, rstatus, string, rstring };
  Kind kind = Kind::status;
  bool negate = false;
  std::string pattern;                          // as written
  std::vector<std::pair<int, int>> statuses;    // status: codes and ranges ("200-399,404")
  Origin origin;
};

// One `tcp-check` rule.
struct TcpCheckStep {
  enum class Kind { connect, send, expect };
  enum class Match { string, rstring, binary };
  Kind kind = Kind::connect;
  std::uint16_t port = 0;  // connect: 0 = the server's check port
  std::string data;        // send: bytes (send-binary decoded); expect: the pattern (binary decoded)
  Match match = Match::string;
  bool negate = false;
  Origin origin;
};

// How a backend checks its servers (`option httpchk`, `http-check`,
// `option tcp-check`, `tcp-check`); a plain connect when none is given.
struct CheckSpec {
  enum class Kind { connect, http, tcp };
  Kind kind = Kind::connect;
  // HTTP: the request line and headers sent.
  std::string method = "OPTIONS";
  std::string uri = "/";
  std::string version = "HTTP/1.0";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::vector<HttpCheckExpect> expects;  // all must pass; none: 2xx and 3xx pass
  bool disable_on_404 = false;           // a 404 puts the server in NOLB
  std::vector<TcpCheckStep> tcp_steps;   // tcp: in order
  Origin origin;
};

// `cookie NAME rewrite|insert|prefix [options]`: persistence by cookie.
struct CookieConfig {
  enum class Mode { insert, rewrite, prefix };
  std::string name;  // empty: no cookie persistence
  Mode mode = Mode::rewrite;
  bool indirect = false;
  bool nocache = false;
  bool postonly = false;
  bool preserve = false;
  bool httponly = false;
  bool secure = false;
  std::vector<std::string> domains;
  Millis maxidle{0};
  Millis maxlife{0};
  Origin origin;
};

// The stats page of a frontend or listen section (`stats ...`). Any of
// uri/auth/realm/refresh/admin enables it, as in HAProxy.
struct StatsPage {
  bool enabled = false;
  std::string uri = "/haproxy?stats";  // a prefix of the request target
  Millis refresh{0};                    // 0: no automatic refresh
  std::vector<std::pair<std::string, std::string>> users;  // `stats auth USER:PASS`
  std::string realm;                    // empty: "HAProxy Statistics"
  bool hide_version = false;
  bool show_legends = false;
  bool show_node = false;
  std::string show_desc;
  // `stats scope NAME|.`: the proxies the page (and its ;csv/;json) reports;
  // empty: all. "." is resolved to the proxy's own name once parsed.
  struct Scope {
    std::string name;
    Origin origin;
  };
  std::vector<Scope> scope;
  Origin origin;
};

// The longest cookie capture HAProxy keeps (`capture cookie NAME len N`).
inline constexpr std::uint32_t kMaxCookieCapture = 63;

// `capture request|response header NAME len N`.
struct Capture {
  bool request = true;
  std::string name;
  std::uint32_t len = 0;
  Origin origin;
};

// Raw statements the later issues compile (ACLs, rules, stick, cookies, checks,
// stats). The parser validates their syntax; they keep their origin.
struct Statement {
  std::vector<std::string> words;
  Origin origin;
};

// A frontend, backend or listen section, with its defaults applied.
struct Proxy {
  enum class Kind { frontend, backend, listen };
  Kind kind = Kind::frontend;
  std::string name;
  Origin origin;
  std::uint32_t id = 0;

  bool is_frontend() const { return kind != Kind::backend; }
  bool is_backend() const { return kind != Kind::frontend; }

  Mode mode = Mode::tcp;
  Timeouts timeouts;
  std::uint32_t retries = 3;
  bool redispatch = false;
  // `option redispatch [N]`: N > 0: every Nth retry goes to another server;
  // N < 0: the |N|th retry before the last does; -1 (default): the last one.
  int redispatch_interval = -1;
  ForwardFor forwardfor;
  HttpConnMode http_conn_mode = HttpConnMode::keep_alive;
  bool httplog = false;
  bool tcplog = false;
  bool dontlognull = false;
  bool log_separate_errors = false;
  bool http_ignore_probes = false;  // a new connection that sends nothing gets no 408, no log, no count
  bool log_global = false;
  std::vector<LogTarget> logs;
  std::string log_format;  // `log-format`; empty: the mode's default line
  Origin log_format_origin;
  std::vector<Capture> captures;  // in declaration order (request ones first in logs)
  // `capture cookie NAME len N` (one per proxy, the last one wins): the first
  // request cookie and the first response cookie whose "name=value" starts
  // with NAME, logged as %CC / %CS. Empty name: none.
  std::string capture_cookie;
  std::uint32_t capture_cookie_len = 0;
  std::string log_tag;  // `log-tag`; empty: the global one
  StatsPage stats;
  std::map<int, ErrorFile> errorfiles;

  // frontend side
  std::vector<Bind> binds;
  std::string default_backend;
  std::uint32_t maxconn = 0;  // 0: the global limit
  std::uint32_t backlog = 0;

  // backend side
  BalanceSpec balance;
  std::vector<Server> servers;
  ServerParams default_server;
  bool allbackups = false;
  std::uint32_t fullconn = 0;
  CheckSpec check;
  CookieConfig cookie;
  bool persist = false;  // `option persist`: a cookie keeps sending to a DOWN server

  // `monitor-uri`: answered by the frontend itself (200, or 503 when a
  // `monitor fail` condition holds).
  std::string monitor_uri;

  // `stick-table ...`: the proxy's own table (named after the proxy).
  std::optional<stick::TableDef> stick_table;

  // What later issues compile, in order of appearance (acl, rules, `stick`).
  std::vector<Statement> rules;
};

// `userlist NAME` with `user` and `group` lines (basic auth; the rules issue).
struct Userlist {
  struct User {
    std::string name;
    std::string password;   // a crypt(3) hash, or the plain text when insecure
    bool insecure = false;  // `insecure-password`
    std::vector<std::string> groups;
    Origin origin;
  };
  struct Group {
    std::string name;
    std::vector<std::string> users;
    Origin origin;
  };
  std::string name;
  Origin origin;
  std::vector<User> users;
  std::vector<Group> groups;
};

// `peers NAME` with `peer NAME ADDR:PORT` lines: which stick tables replicate,
// and with which node names (peersync does the replicating).
struct PeersSection {
  struct Peer {
    std::string name;
    std::string address;  // as written
    Origin origin;
  };
  std::string name;
  Origin origin;
  std::vector<Peer> peers;
  bool disabled = false;  // `disabled`: the section's tables do not replicate
};

struct Config {
  std::vector<std::string> files;
  Global global;
  std::vector<Proxy> proxies;  // in declaration order
  std::vector<Userlist> userlists;
  std::vector<PeersSection> peers;
  std::vector<std::string> warnings;  // "FILE:LINE: message", for the log

  const Proxy* find_proxy(std::string_view name, bool backend) const;
};

}  // namespace tandem::balancer::config
