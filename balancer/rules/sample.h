#pragma once
// Samples: what a fetch (src, path, hdr(host), sc_http_req_rate(0)...) reads
// from a request, through converters (lower, upper...). ACLs match samples
// against patterns; rules use them as keys (track-sc0 src) and values
// (%[src] in set-header).

#include <asio/ip/address.hpp>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "balancer/rules/context.h"
#include "common/error.h"

namespace tandem::balancer::rules {

struct Sample {
  enum class Type : std::uint8_t { none, boolean, integer, str, ip };
  Type type = Type::none;
  bool b = false;
  long long i = 0;
  std::string_view s;
  asio::ip::address ip;
  // The value may still change as more of the request arrives (HAProxy's
  // SMP_F_MAY_CHANGE): before the final evaluation, a condition it fails is
  // undecided rather than false.
  bool may_change = false;

  static Sample none() { return {}; }
  static Sample of_bool(bool v) {
    Sample x;
    x.type = Type::boolean;
    x.b = v;
    return x;
  }
  static Sample of_int(long long v) {
    Sample x;
    x.type = Type::integer;
    x.i = v;
    return x;
  }
  static Sample of_str(std::string_view v) {
    Sample x;
    x.type = Type::str;
    x.s = v;
    return x;
  }
  static Sample of_ip(const asio::ip::address& a) {
    Sample x;
    x.type = Type::ip;
    x.ip = a;
    return x;
  }
  bool present() const { return type != Type::none; }
  // The sample as text (for set-header values and string matches).
  std::string_view text(EvalContext& ctx) const;
};

// Where a fetch can run (a fetch needing the request cannot be used in a
// tcp-request connection rule).
// kNeedContent: the bytes of the request buffered so far (req.len, wait_end),
// readable from tcp-request content rules on, not by a connection rule.
enum Need : unsigned { kNeedNothing = 0, kNeedRequest = 1, kNeedResponse = 2, kNeedTracked = 4, kNeedContent = 8 };

// Compile-time lookups a fetch's argument may need (a backend for nbsrv, a
// userlist for http_auth, a table for src_*). They return nullptr when the
// name is unknown.
struct Resolver {
  std::function<const void*(std::string_view)> backend;
  std::function<const void*(std::string_view)> userlist;
  std::function<const void*(std::string_view)> table;
  // The table of the proxy being compiled (the default for sc_*/src_* fetches).
  const void* own_table = nullptr;
};

struct FetchArgs {
  std::string text;            // hdr(NAME), url_param(NAME)...
  long long number = 0;        // sc_*(N): the counter index; hdr(NAME,OCC): the occurrence (0: none given)
  const void* target = nullptr;  // a resolved backend, userlist or table
};

using FetchFn = Sample (*)(EvalContext&, const FetchArgs&);
using ConvFn = Sample (*)(EvalContext&, const Sample&, const FetchArgs&);

// fetch[(args)][,converter[(args)]]...
class SampleExpr {
 public:
  // Parses `text`; `where` prefixes error messages ("FILE:LINE: keyword").
  static Result<SampleExpr> parse(std::string_view text, const Resolver& r, std::string_view where);

  Sample eval(EvalContext& ctx) const;
  unsigned needs() const { return needs_; }
  Sample::Type output() const { return output_; }
  const std::string& text() const { return text_; }
  const std::string& fetch_name() const { return fetch_name_; }
  const FetchArgs& args() const { return args_; }
  bool has_converters() const { return !convs_.empty(); }

 private:
  std::string text_;
  std::string fetch_name_;
  FetchFn fetch_ = nullptr;
  FetchArgs args_;
  std::vector<std::pair<ConvFn, FetchArgs>> convs_;
  unsigned needs_ = 0;
  Sample::Type output_ = Sample::Type::none;
};

// Registers the stick-counter fetches (sc_*, scN_*, src_*), defined with the
// stick tables. Called once by the runtime before compiling rules.
struct FetchDef {
  std::string_view name;
  FetchFn fn;
  Sample::Type out;
  unsigned needs;
  enum class Arg : std::uint8_t { none, text, text_opt, counter, counter_table, backend_opt, userlist, table_opt, table_opt_none, header_occ } arg;
  // table_opt: an optional table, the proxy's own by default; table_opt_none:
  // an optional table, none by default (scN_* fetches: the tracked one);
  // header_occ: NAME[,OCC] (hdr(x-forwarded-for,-2)).
};
void register_fetch(const FetchDef& def);
const FetchDef* find_fetch(std::string_view name);

// Converters (",lower", ",table_http_req_rate(T)"): the built-ins, plus those
// registered with the stick tables.
struct ConvDef {
  std::string_view name;
  ConvFn fn;
  Sample::Type out;
  enum class Arg : std::uint8_t { none, table } arg = Arg::none;  // table: a table name, required
};
void register_converter(const ConvDef& def);

}  // namespace tandem::balancer::rules
