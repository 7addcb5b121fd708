#pragma once
// A proxy's compiled rules: ACLs, tcp-request, http-request, http-response,
// use_backend, redirect, monitor fail (and, from the stick issue, track-sc
// and stick rules). Compiled once per runtime from the statements the parser
// kept, with FILE:LINE errors; evaluated by the sessions.
//
// Evaluation order (HAProxy's): tcp-request connection at accept;
// http-request rules of the frontend, then its `redirect` rules, then
// use_backend; then the backend's http-request rules; after the response,
// the backend's http-response rules, then the frontend's.

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "balancer/config/model.h"
#include "balancer/rules/acl.h"
#include "balancer/rules/sample.h"

namespace tandem::balancer::runtime {
class Backend;
}

namespace tandem::balancer::rules {

// A value with %[sample] expressions ("%[src]", "https", "%[hdr(host)]%[path]").
class LogFormat {
 public:
  static Result<LogFormat> parse(std::string_view text, const Resolver& r, std::string_view where);
  std::string render(EvalContext& ctx) const;
  // Null when a sample in it yields nothing (set-var then sets nothing, as HAProxy).
  std::optional<std::string> render_if_present(EvalContext& ctx) const;
  bool constant() const { return exprs_.empty(); }

 private:
  struct Part {
    std::string literal;
    int expr = -1;  // index into exprs_, or -1
  };
  std::vector<Part> parts_;
  std::vector<SampleExpr> exprs_;
};

struct Redirect {
  enum class Type { location, prefix, scheme };
  Type type = Type::location;
  LogFormat target;
  int code = 302;
  bool drop_query = false;
  bool append_slash = false;
  std::vector<std::pair<std::string, std::string>> set_cookie;  // set-cookie NAME[=VALUE]
};

struct HttpAction {
  enum class Kind {
    allow, deny, tarpit, auth, redirect, set_header, add_header, del_header, replace_header, replace_value,
    set_path, set_query, set_uri, return_, set_var, set_status, track_sc, sc_inc_gpc, sc_clr_gpc, use_service
  };
  Kind kind = Kind::allow;
  config::Origin origin;
  std::optional<Condition> cond;
  int status = 0;                 // deny_status, return status, set-status
  std::string name;               // header name, realm, var name, service name
  LogFormat value;                // header value, path, query, uri, var value
  std::optional<std::regex> re;   // replace-header/replace-value
  std::string replacement;
  std::string content_type;       // return
  std::string body;               // return: string or file contents
  std::string reason;             // set-status reason
  Redirect redirect;
  int counter = 0;                // track-sc/sc-inc-gpc: 0..2; which gpc for sc-inc/clr
  int gpc = 0;
  std::shared_ptr<const SampleExpr> key;  // track-sc key
  const void* table = nullptr;    // track-sc table (stick)
};

struct TcpAction {
  enum class Kind { accept, reject, track_sc };
  Kind kind = Kind::accept;
  config::Origin origin;
  std::optional<Condition> cond;
  int counter = 0;
  std::shared_ptr<const SampleExpr> key;
  const void* table = nullptr;
};

struct SwitchRule {
  runtime::Backend* backend = nullptr;  // fixed name
  LogFormat dynamic;                    // use_backend %[...]: resolved per request
  bool is_dynamic = false;
  std::optional<Condition> cond;
  config::Origin origin;
};

struct RedirectRule {
  Redirect redirect;
  std::optional<Condition> cond;
  config::Origin origin;
};

// `stick on|match|store-request|store-response EXPR [table T] [if|unless COND]`
// (backend only). `on` is match plus store-request.
struct StickRule {
  enum class Kind { on, match, store_request, store_response };
  Kind kind = Kind::on;
  config::Origin origin;
  std::optional<Condition> cond;
  std::shared_ptr<const SampleExpr> key;
  const void* table = nullptr;  // a stick::StickTable
  bool matches() const { return kind == Kind::on || kind == Kind::match; }
  bool stores_request() const { return kind == Kind::on || kind == Kind::store_request; }
};

// What the session must do after a set of http rules ran.
struct HttpVerdict {
  // service: `use-service` (the action's name says which).
  enum class Kind { next, allow, deny, tarpit, auth, redirect, return_, service };
  Kind kind = Kind::next;
  int status = 0;
  std::string location;       // redirect
  std::string realm;          // auth
  std::string content_type;   // return
  std::string body;           // return
  const HttpAction* action = nullptr;  // the rule that decided (for logs)
};

// The stick side of the rules, provided by the stick-table integration.
class StickHooks {
 public:
  virtual ~StickHooks() = default;
  // track-sc: start tracking `key` in `table` as counter `counter`.
  virtual void track(EvalContext& ctx, int counter, const SampleExpr& key, const void* table, bool http) = 0;
  virtual void inc_gpc(EvalContext& ctx, int counter, int gpc) = 0;
  virtual void clr_gpc(EvalContext& ctx, int counter, int gpc) = 0;
};

class RuleSet {
 public:
  // Compiles `p.rules`. `resolve_backend` finds backends for use_backend.
  static Result<std::shared_ptr<RuleSet>> compile(const config::Proxy& p, const Resolver& r,
                                                  std::function<runtime::Backend*(std::string_view)> resolve_backend,
                                                  std::vector<std::string>* warnings);

  const AclSet& acls() const { return acls_; }
  bool empty() const { return empty_; }
  config::Millis inspect_delay() const { return inspect_delay_; }
  bool has_tcp_connection_rules() const { return !tcp_connection_.empty(); }
  bool has_tcp_content_rules() const { return !tcp_content_.empty(); }
  bool has_http_response_rules() const { return !http_response_.empty(); }
  const std::vector<StickRule>& stick_rules() const { return stick_; }
  bool has_stick_rules() const { return !stick_.empty(); }
  bool has_switching_rules() const { return !switching_.empty(); }

  // tcp-request connection|content: false when the connection is rejected.
  bool run_tcp(EvalContext& ctx, bool content, StickHooks* sticks) const;
  // tcp-request content over what the client has sent so far (ctx.req_len,
  // ctx.content_final): accept, reject, or wait for more bytes (or the end
  // of inspect-delay) when a rule's condition cannot be decided yet. The
  // rules run from the first again on the next call, as HAProxy's.
  enum class TcpVerdict { accept, reject, wait };
  TcpVerdict run_tcp_content(EvalContext& ctx, StickHooks* sticks) const;
  // http-request rules; header and path changes are applied to *req.
  HttpVerdict run_http_request(EvalContext& ctx, http::RequestHead& req, StickHooks* sticks) const;
  // The `redirect` rules (after http-request, in the frontend).
  std::optional<HttpVerdict> run_redirects(EvalContext& ctx) const;
  // use_backend: the first matching rule's backend, or nullptr.
  runtime::Backend* route(EvalContext& ctx, std::function<runtime::Backend*(std::string_view)> lookup) const;
  // http-response rules; changes applied to *resp. Only deny matters here.
  HttpVerdict run_http_response(EvalContext& ctx, http::ResponseHead& resp, StickHooks* sticks) const;
  // `monitor fail if COND`: true when the node must report not ready.
  bool monitor_fails(EvalContext& ctx) const;
  bool has_monitor_fail() const { return !monitor_fail_.empty(); }
  // `stats admin if COND`: true when the stats page may change servers.
  bool stats_admin_allowed(EvalContext& ctx) const;
  // `stats http-request allow|deny|auth [realm R] [if|unless COND]`: the
  // first rule whose condition holds decides; none: the page's own checks
  // (`stats auth`) apply.
  struct StatsAccess {
    enum class Verdict { none, allow, deny, auth } verdict = Verdict::none;
    std::string_view realm;  // auth: the rule's realm, empty when it names none
  };
  StatsAccess stats_access(EvalContext& ctx) const;
  bool has_stats_access_rules() const { return !stats_access_.empty(); }

 private:
  AclSet acls_;
  bool empty_ = true;
  config::Millis inspect_delay_{0};
  std::vector<TcpAction> tcp_connection_;
  std::vector<TcpAction> tcp_content_;
  std::vector<HttpAction> http_request_;
  std::vector<HttpAction> http_response_;
  std::vector<SwitchRule> switching_;
  std::vector<RedirectRule> redirects_;
  std::vector<Condition> monitor_fail_;
  std::vector<Condition> stats_admin_;
  struct StatsAccessRule {
    StatsAccess::Verdict verdict = StatsAccess::Verdict::allow;
    std::string realm;
    std::optional<Condition> cond;  // none: always
  };
  std::vector<StatsAccessRule> stats_access_;
  std::vector<StickRule> stick_;
};

// The table a `stick` statement names (`table T`), or "" for the proxy's own.
std::string stick_rule_table_name(const config::Statement& st);

// A redirect's Location (and code) for the current request.
std::string redirect_location(const Redirect& r, EvalContext& ctx);

}  // namespace tandem::balancer::rules
