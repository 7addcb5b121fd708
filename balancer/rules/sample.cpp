#include "balancer/rules/sample.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "balancer/http/syntax.h"
#include "balancer/lb/request_key.h"
#include "balancer/rules/userlist.h"
#include "balancer/runtime/backend.h"
#include "balancer/runtime/runtime.h"
#include "balancer/stick/stick_key.h"
#include "common/strings.h"

namespace tandem::balancer::rules {

using http::syntax::iequals;

std::string_view Sample::text(EvalContext& ctx) const {
  switch (type) {
    case Type::none: return {};
    case Type::boolean: return b ? "1" : "0";
    case Type::integer: return ctx.keep(std::to_string(i));
    case Type::str: return s;
    case Type::ip: return ctx.keep(ip.to_string());
  }
  return {};
}

namespace {

// ---- Request parts ------------------------------------------------------

std::string_view path_of(std::string_view target) {
  if (target.starts_with("http://") || target.starts_with("https://")) {
    size_t slash = target.find('/', target.find("//") + 2);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  return target.substr(0, target.find('?'));
}

Sample f_src(EvalContext& c, const FetchArgs&) { return Sample::of_ip(c.src); }
Sample f_dst(EvalContext& c, const FetchArgs&) { return Sample::of_ip(c.dst); }
Sample f_src_port(EvalContext& c, const FetchArgs&) { return Sample::of_int(c.src_port); }
Sample f_dst_port(EvalContext& c, const FetchArgs&) { return Sample::of_int(c.dst_port); }
Sample f_path(EvalContext& c, const FetchArgs&) { return Sample::of_str(path_of(c.req->target)); }
Sample f_url(EvalContext& c, const FetchArgs&) { return Sample::of_str(c.req->target); }
Sample f_method(EvalContext& c, const FetchArgs&) { return Sample::of_str(c.req->method_text); }
Sample f_query(EvalContext& c, const FetchArgs&) {
  size_t q = c.req->target.find('?');
  if (q == std::string_view::npos) return Sample::none();
  return Sample::of_str(c.req->target.substr(q + 1));
}
Sample f_url_param(EvalContext& c, const FetchArgs& a) {
  auto v = lb::url_param(c.req->target, a.text);
  return v ? Sample::of_str(*v) : Sample::none();
}
Sample f_base(EvalContext& c, const FetchArgs&) {
  return Sample::of_str(c.keep(cat(c.req->host, path_of(c.req->target))));
}
// Calls f(value) for each value of header `name`, in order: each
// comma-separated item, trimmed (HAProxy's hdr, req.hdr, res.hdr), or each
// field line whole (fhdr). f returns false to stop.
template <typename F>
void for_each_value(const std::vector<http::Header>& hs, std::string_view name, bool split, F&& f) {
  for (const auto& h : hs) {
    if (!iequals(h.name, name)) continue;
    if (!split) {
      if (!f(h.value)) return;
      continue;
    }
    std::string_view v = h.value;
    for (;;) {
      size_t comma = v.find(',');
      if (!f(http::syntax::trim_ows(v.substr(0, comma)))) return;
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
}

// Occurrence `occ` of header `name`'s values: 1 the first, -1 (or 0, the
// default) the last, -2 the one before it... (HAProxy's <occ>).
std::optional<std::string_view> header_value(const std::vector<http::Header>& hs, std::string_view name, long long occ,
                                             bool split) {
  if (occ == 0) occ = -1;
  if (occ < 0) {
    long long n = 0;
    for_each_value(hs, name, split, [&](std::string_view) { return ++n, true; });
    occ = n + occ + 1;  // from the first
    if (occ < 1) return std::nullopt;
  }
  std::optional<std::string_view> found;
  long long i = 0;
  for_each_value(hs, name, split, [&](std::string_view v) {
    if (++i == occ) found = v;
    return !found;
  });
  return found;
}

Sample f_hdr(EvalContext& c, const FetchArgs& a) {
  auto v = header_value(c.req->headers, a.text, a.number, true);
  return v ? Sample::of_str(*v) : Sample::none();
}
Sample f_fhdr(EvalContext& c, const FetchArgs& a) {
  auto v = header_value(c.req->headers, a.text, a.number, false);
  return v ? Sample::of_str(*v) : Sample::none();
}
Sample f_res_hdr(EvalContext& c, const FetchArgs& a) {
  auto v = header_value(c.resp->headers, a.text, a.number, true);
  return v ? Sample::of_str(*v) : Sample::none();
}
Sample f_res_fhdr(EvalContext& c, const FetchArgs& a) {
  auto v = header_value(c.resp->headers, a.text, a.number, false);
  return v ? Sample::of_str(*v) : Sample::none();
}
// An IPv4 address (a dotted quad, ":port" or anything after it ignored) or
// an IPv6 address (HAProxy's req.hdr_ip); nullopt for anything else.
std::optional<asio::ip::address> header_ip(std::string_view v) {
  std::uint8_t a4[4];
  if (stick::ipv4_prefix(v, a4)) return asio::ip::address(asio::ip::address_v4({a4[0], a4[1], a4[2], a4[3]}));
  asio::error_code ec;
  auto a6 = asio::ip::make_address_v6(std::string(v), ec);
  if (ec) return std::nullopt;
  return asio::ip::address(a6);
}
Sample f_hdr_ip(EvalContext& c, const FetchArgs& a) {
  auto v = header_value(c.req->headers, a.text, a.number, true);
  if (!v) return Sample::none();
  auto ip = header_ip(*v);
  return ip ? Sample::of_ip(*ip) : Sample::none();
}
Sample f_hdr_cnt(EvalContext& c, const FetchArgs& a) {
  long long n = 0;
  for_each_value(c.req->headers, a.text, true, [&](std::string_view) { return ++n, true; });
  return Sample::of_int(n);
}
Sample f_fhdr_cnt(EvalContext& c, const FetchArgs& a) {
  long long n = 0;
  for_each_value(c.req->headers, a.text, false, [&](std::string_view) { return ++n, true; });
  return Sample::of_int(n);
}
Sample f_hdr_val(EvalContext& c, const FetchArgs& a) {
  auto v = header_value(c.req->headers, a.text, a.number, true);
  if (!v || v->empty()) return Sample::none();
  return Sample::of_int(stick::leading_int(*v));  // HAProxy's str-to-int cast
}
Sample f_cook(EvalContext& c, const FetchArgs& a) {
  // Cookie: a=1; b=2 — the named cookie's value, first occurrence.
  for (const auto& h : c.req->headers) {
    if (!iequals(h.name, "cookie")) continue;
    std::string_view v = h.value;
    while (!v.empty()) {
      size_t semi = v.find(';');
      std::string_view pair = http::syntax::trim_ows(v.substr(0, semi));
      size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == a.text) return Sample::of_str(pair.substr(eq + 1));
      if (semi == std::string_view::npos) break;
      v.remove_prefix(semi + 1);
    }
  }
  return Sample::none();
}
Sample f_status(EvalContext& c, const FetchArgs&) { return Sample::of_int(c.resp->status); }
// capture.req.* / capture.res.ver: the request line and the response's
// version, which HAProxy keeps for the whole transaction (log lines use them).
std::string_view version_text(http::Version v) { return v == http::Version::http10 ? "HTTP/1.0" : "HTTP/1.1"; }
Sample f_capture_req_uri(EvalContext& c, const FetchArgs&) { return Sample::of_str(c.req->target); }
Sample f_capture_req_ver(EvalContext& c, const FetchArgs&) { return Sample::of_str(version_text(c.req->version)); }
Sample f_capture_res_ver(EvalContext& c, const FetchArgs&) { return Sample::of_str(version_text(c.resp->version)); }
Sample f_ssl_fc(EvalContext& c, const FetchArgs&) { return Sample::of_bool(c.ssl); }
Sample f_ssl_fc_sni(EvalContext& c, const FetchArgs&) {
  return c.sni.empty() ? Sample::none() : Sample::of_str(c.sni);
}
Sample f_nbsrv(EvalContext& c, const FetchArgs& a) {
  const runtime::Backend* be = a.target ? static_cast<const runtime::Backend*>(a.target) : c.be;
  if (!be) return Sample::none();
  return Sample::of_int(be->usable_active() ? be->usable_active() : be->usable_backup());
}
Sample f_true(EvalContext&, const FetchArgs&) { return Sample::of_bool(true); }
// req.len: the bytes buffered so far; more may come until the final evaluation.
Sample f_req_len(EvalContext& c, const FetchArgs&) {
  Sample s = Sample::of_int(static_cast<long long>(c.req_len));
  s.may_change = true;
  return s;
}
// wait_end (the WAIT_END ACL): nothing until the final evaluation, then true.
Sample f_wait_end(EvalContext& c, const FetchArgs&) {
  Sample s = c.content_final ? Sample::of_bool(true) : Sample::none();
  s.may_change = !c.content_final;
  return s;
}
Sample f_false(EvalContext&, const FetchArgs&) { return Sample::of_bool(false); }
Sample f_var(EvalContext& c, const FetchArgs& a) {
  for (auto it = c.vars.rbegin(); it != c.vars.rend(); ++it)
    if (it->first == a.text) return Sample::of_str(it->second);
  return Sample::none();
}
Sample f_http_auth(EvalContext& c, const FetchArgs& a) {
  const auto* ul = static_cast<const Userlist*>(a.target);
  return Sample::of_bool(ul->authenticate(*c.req).has_value());
}
Sample f_http_auth_group(EvalContext& c, const FetchArgs& a) {
  const auto* ul = static_cast<const Userlist*>(a.target);
  auto user = ul->authenticate(*c.req);
  if (!user) return Sample::none();
  // The user's groups, comma-separated: the ACL matches any of them.
  return Sample::of_str(c.keep(ul->groups_of(*user)));
}

// ---- Converters ---------------------------------------------------------

Sample c_lower(EvalContext& c, const Sample& in, const FetchArgs&) {
  return Sample::of_str(c.keep(to_lower(in.text(c))));
}
Sample c_upper(EvalContext& c, const Sample& in, const FetchArgs&) {
  std::string s(in.text(c));
  for (char& ch : s)
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 32);
  return Sample::of_str(c.keep(std::move(s)));
}
Sample c_length(EvalContext& c, const Sample& in, const FetchArgs&) {
  return Sample::of_int(static_cast<long long>(in.text(c).size()));
}

std::map<std::string, ConvDef, std::less<>>& converters() {
  static std::map<std::string, ConvDef, std::less<>> m = [] {
    std::map<std::string, ConvDef, std::less<>> r;
    const ConvDef builtins[] = {
        {"lower", c_lower, Sample::Type::str},
        {"upper", c_upper, Sample::Type::str},
        {"length", c_length, Sample::Type::integer},
    };
    for (const ConvDef& d : builtins) r.emplace(std::string(d.name), d);
    return r;
  }();
  return m;
}

using A = FetchDef::Arg;
using T = Sample::Type;

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

std::map<std::string, FetchDef, std::less<>>& registry() {
  static std::map<std::string, FetchDef, std::less<>> r = [] {
    std::map<std::string, FetchDef, std::less<>> m;
    const FetchDef builtins[] = {
        {"src", f_src, T::ip, kNeedNothing, A::none},
        {"dst", f_dst, T::ip, kNeedNothing, A::none},
        {"src_port", f_src_port, T::integer, kNeedNothing, A::none},
        {"dst_port", f_dst_port, T::integer, kNeedNothing, A::none},
        {"path", f_path, T::str, kNeedRequest, A::none},
        {"url", f_url, T::str, kNeedRequest, A::none},
        {"method", f_method, T::str, kNeedRequest, A::none},
        {"query", f_query, T::str, kNeedRequest, A::none},
        {"url_param", f_url_param, T::str, kNeedRequest, A::text},
        {"base", f_base, T::str, kNeedRequest, A::none},
        {"hdr", f_hdr, T::str, kNeedRequest, A::header_occ},
        {"req.hdr", f_hdr, T::str, kNeedRequest, A::header_occ},
        {"fhdr", f_fhdr, T::str, kNeedRequest, A::header_occ},
        {"req.fhdr", f_fhdr, T::str, kNeedRequest, A::header_occ},
        {"res.hdr", f_res_hdr, T::str, kNeedResponse, A::header_occ},
        {"res.fhdr", f_res_fhdr, T::str, kNeedResponse, A::header_occ},
        {"hdr_ip", f_hdr_ip, T::ip, kNeedRequest, A::header_occ},
        {"req.hdr_ip", f_hdr_ip, T::ip, kNeedRequest, A::header_occ},
        {"hdr_cnt", f_hdr_cnt, T::integer, kNeedRequest, A::text},
        {"req.hdr_cnt", f_hdr_cnt, T::integer, kNeedRequest, A::text},
        {"req.fhdr_cnt", f_fhdr_cnt, T::integer, kNeedRequest, A::text},
        {"hdr_val", f_hdr_val, T::integer, kNeedRequest, A::header_occ},
        {"req.hdr_val", f_hdr_val, T::integer, kNeedRequest, A::header_occ},
        {"cook", f_cook, T::str, kNeedRequest, A::text},
        {"req.cook", f_cook, T::str, kNeedRequest, A::text},
        {"status", f_status, T::integer, kNeedResponse, A::none},
        {"capture.req.method", f_method, T::str, kNeedRequest, A::none},
        {"capture.req.uri", f_capture_req_uri, T::str, kNeedRequest, A::none},
        {"capture.req.ver", f_capture_req_ver, T::str, kNeedRequest, A::none},
        {"capture.res.ver", f_capture_res_ver, T::str, kNeedResponse, A::none},
        {"ssl_fc", f_ssl_fc, T::boolean, kNeedNothing, A::none},
        {"ssl_fc_sni", f_ssl_fc_sni, T::str, kNeedNothing, A::none},
        {"nbsrv", f_nbsrv, T::integer, kNeedNothing, A::backend_opt},
        {"always_true", f_true, T::boolean, kNeedNothing, A::none},
        {"req.len", f_req_len, T::integer, kNeedContent, A::none},
        {"req_len", f_req_len, T::integer, kNeedContent, A::none},
        {"wait_end", f_wait_end, T::boolean, kNeedContent, A::none},
        {"always_false", f_false, T::boolean, kNeedNothing, A::none},
        {"var", f_var, T::str, kNeedNothing, A::text},
        {"http_auth", f_http_auth, T::boolean, kNeedRequest, A::userlist},
        {"http_auth_group", f_http_auth_group, T::str, kNeedRequest, A::userlist},
    };
    for (const FetchDef& d : builtins) m.emplace(std::string(d.name), d);
    return m;
  }();
  return r;
}

}  // namespace

void register_fetch(const FetchDef& def) {
  std::lock_guard lock(registry_mutex());
  registry().insert_or_assign(std::string(def.name), def);
}

const FetchDef* find_fetch(std::string_view name) {
  std::lock_guard lock(registry_mutex());
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : &it->second;
}

void register_converter(const ConvDef& def) {
  std::lock_guard lock(registry_mutex());
  converters().insert_or_assign(std::string(def.name), def);
}

namespace {
const ConvDef* find_converter(std::string_view name) {
  std::lock_guard lock(registry_mutex());
  auto it = converters().find(name);
  return it == converters().end() ? nullptr : &it->second;
}
}  // namespace

namespace {

// Splits "name(args)" at the top level; false when the parentheses are unbalanced.
bool split_call(std::string_view s, std::string_view& name, std::string_view& args, bool& has_args) {
  size_t open = s.find('(');
  has_args = open != std::string_view::npos;
  if (!has_args) {
    name = s;
    return true;
  }
  if (s.back() != ')') return false;
  name = s.substr(0, open);
  args = s.substr(open + 1, s.size() - open - 2);
  return true;
}

// Splits "fetch(a,b),conv1,conv2(x)" on commas outside parentheses.
std::vector<std::string_view> top_level_parts(std::string_view s) {
  std::vector<std::string_view> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '(') ++depth;
    else if (s[i] == ')') --depth;
    else if (s[i] == ',' && depth == 0) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(s.substr(start));
  return parts;
}

}  // namespace

Result<SampleExpr> SampleExpr::parse(std::string_view text, const Resolver& r, std::string_view where) {
  SampleExpr e;
  e.text_ = std::string(text);
  auto parts = top_level_parts(text);
  std::string_view name, args;
  bool has_args = false;
  if (parts.empty() || !split_call(parts[0], name, args, has_args) || name.empty())
    return fail(cat(where, ": '", text, "' is not a sample expression"));
  const FetchDef* def = find_fetch(name);
  if (!def) return fail(cat(where, ": unknown fetch '", name, "'"));
  e.fetch_name_ = std::string(name);
  e.fetch_ = def->fn;
  e.needs_ = def->needs;
  e.output_ = def->out;
  switch (def->arg) {
    case A::none:
      if (has_args) return fail(cat(where, ": fetch '", name, "' takes no argument"));
      break;
    case A::text:
      if (!has_args || args.empty()) return fail(cat(where, ": fetch '", name, "' needs an argument, e.g. ", name, "(host)"));
      e.args_.text = std::string(args);
      break;
    case A::text_opt:
      e.args_.text = std::string(args);
      break;
    case A::header_occ: {
      // NAME[,OCC]
      if (!has_args || args.empty() || args[0] == ',')
        return fail(cat(where, ": fetch '", name, "' needs an argument, e.g. ", name, "(host)"));
      size_t comma = args.find(',');
      e.args_.text = std::string(args.substr(0, comma));
      if (comma != std::string_view::npos && !parse_int(args.substr(comma + 1), e.args_.number))
        return fail(cat(where, ": fetch '", name, "': '", args.substr(comma + 1), "' is not an occurrence number"));
      break;
    }
    case A::counter:
    case A::counter_table: {
      // sc_*(N[,table])
      std::string_view n = args.substr(0, args.find(','));
      unsigned long long v = 0;
      if (!has_args || !parse_uint(n, v) || v > 2) return fail(cat(where, ": fetch '", name, "' needs a counter number 0..2"));
      e.args_.number = static_cast<long long>(v);
      if (args.find(',') != std::string_view::npos) {
        std::string_view t = args.substr(args.find(',') + 1);
        e.args_.target = r.table ? r.table(t) : nullptr;
        if (!e.args_.target) return fail(cat(where, ": no stick-table named '", t, "'"));
      }
      break;
    }
    case A::backend_opt:
      if (has_args && !args.empty()) {
        e.args_.target = r.backend ? r.backend(args) : nullptr;
        if (!e.args_.target) return fail(cat(where, ": no backend named '", args, "'"));
      }
      break;
    case A::userlist:
      if (!has_args || args.empty()) return fail(cat(where, ": fetch '", name, "' needs a userlist name"));
      e.args_.target = r.userlist ? r.userlist(args) : nullptr;
      if (!e.args_.target) return fail(cat(where, ": no userlist named '", args, "'"));
      break;
    case A::table_opt_none:
      if (has_args && !args.empty()) {
        e.args_.target = r.table ? r.table(args) : nullptr;
        if (!e.args_.target) return fail(cat(where, ": no stick-table named '", args, "'"));
      }
      break;
    case A::table_opt:
      if (has_args && !args.empty()) {
        e.args_.target = r.table ? r.table(args) : nullptr;
        if (!e.args_.target) return fail(cat(where, ": no stick-table named '", args, "'"));
      } else {
        e.args_.target = r.own_table;
        if (!e.args_.target) return fail(cat(where, ": fetch '", name, "' needs a table: this proxy declares none"));
      }
      break;
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string_view cname, cargs;
    bool cargs_present = false;
    if (!split_call(parts[i], cname, cargs, cargs_present)) return fail(cat(where, ": '", parts[i], "' is not a converter"));
    const ConvDef* conv = find_converter(cname);
    if (!conv) return fail(cat(where, ": unknown converter '", cname, "'"));
    FetchArgs ca;
    switch (conv->arg) {
      case ConvDef::Arg::none:
        if (!cargs.empty()) return fail(cat(where, ": converter '", cname, "' takes no argument"));
        break;
      case ConvDef::Arg::table:
        if (cargs.empty()) return fail(cat(where, ": converter '", cname, "' needs a table name"));
        ca.target = r.table ? r.table(cargs) : nullptr;
        if (!ca.target) return fail(cat(where, ": no stick-table named '", cargs, "'"));
        break;
    }
    e.convs_.emplace_back(conv->fn, ca);
    e.output_ = conv->out;
  }
  return e;
}

Sample SampleExpr::eval(EvalContext& ctx) const {
  if ((needs_ & kNeedRequest) && !ctx.req) return Sample::none();
  if ((needs_ & kNeedResponse) && !ctx.resp) return Sample::none();
  Sample s = fetch_(ctx, args_);
  const bool may_change = s.may_change;
  for (const auto& [fn, a] : convs_) {
    if (!s.present()) break;
    s = fn(ctx, s, a);
  }
  s.may_change = may_change;
  return s;
}

}  // namespace tandem::balancer::rules
