#include "balancer/rules/acl.h"

#include "balancer/rules/predefined_acl.h"

#include <fstream>

#include "balancer/http/syntax.h"
#include "balancer/stick/stick_key.h"
#include "common/strings.h"

namespace tandem::balancer::rules {

namespace {

std::string lower(std::string_view s) { return to_lower(s); }

// Integer patterns: "N", "A:B", ":B", "A:", or an operator word then N.
Result<void> parse_int_patterns(const std::vector<std::string>& in, std::vector<std::pair<long long, long long>>& out,
                                std::string_view where) {
  constexpr long long kMin = std::numeric_limits<long long>::min(), kMax = std::numeric_limits<long long>::max();
  for (size_t i = 0; i < in.size(); ++i) {
    const std::string& w = in[i];
    long long v = 0;
    if (w == "eq" || w == "ge" || w == "gt" || w == "le" || w == "lt") {
      if (i + 1 >= in.size() || !parse_int(in[i + 1], v))
        return fail(cat(where, ": '", w, "' must be followed by a number"));
      ++i;
      if (w == "eq") out.emplace_back(v, v);
      else if (w == "ge") out.emplace_back(v, kMax);
      else if (w == "gt") out.emplace_back(v == kMax ? kMax : v + 1, kMax);
      else if (w == "le") out.emplace_back(kMin, v);
      else out.emplace_back(kMin, v == kMin ? kMin : v - 1);
      continue;
    }
    size_t colon = w.find(':');
    if (colon == std::string::npos) {
      if (!parse_int(w, v)) return fail(cat(where, ": '", w, "' is not an integer pattern"));
      out.emplace_back(v, v);
      continue;
    }
    long long lo = kMin, hi = kMax;
    if (colon > 0 && !parse_int(w.substr(0, colon), lo)) return fail(cat(where, ": '", w, "' is not an integer range"));
    if (colon + 1 < w.size() && !parse_int(w.substr(colon + 1), hi))
      return fail(cat(where, ": '", w, "' is not an integer range"));
    out.emplace_back(lo, hi);
  }
  return {};
}

// A dot- or slash-delimited part of `text` equal to `pat` (dom and dir).
bool delimited_part(std::string_view text, std::string_view pat, bool dom) {
  auto is_delim = [dom](char c) { return dom ? (c == '.' || c == '/' || c == '?' || c == '#' || c == ':') : (c == '/' || c == '?' || c == '#'); };
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || is_delim(text[i])) {
      if (text.substr(start, i - start) == pat) return true;
      start = i + 1;
    }
  }
  return false;
}

std::optional<MatchMethod> method_named(std::string_view m) {
  static const std::pair<std::string_view, MatchMethod> methods[] = {
      {"str", MatchMethod::str},  {"beg", MatchMethod::beg},   {"end", MatchMethod::end},
      {"sub", MatchMethod::sub},  {"reg", MatchMethod::reg},   {"dom", MatchMethod::dom},
      {"dir", MatchMethod::dir},  {"len", MatchMethod::len},   {"found", MatchMethod::found},
      {"int", MatchMethod::integer}, {"ip", MatchMethod::ip}, {"bool", MatchMethod::boolean}};
  for (auto [n, v] : methods)
    if (n == m) return v;
  return std::nullopt;
}

MatchMethod default_method(Sample::Type t) {
  switch (t) {
    case Sample::Type::integer: return MatchMethod::integer;
    case Sample::Type::ip: return MatchMethod::ip;
    case Sample::Type::boolean: return MatchMethod::boolean;
    default: return MatchMethod::str;
  }
}

}  // namespace

Result<PatternSet> PatternSet::compile(MatchMethod m, const std::vector<std::string>& patterns, bool icase,
                                       std::string_view where) {
  PatternSet p;
  p.m_ = m;
  p.icase_ = icase;
  p.count_ = patterns.size();
  switch (m) {
    case MatchMethod::str:
      for (const auto& s : patterns) p.exact_.insert(icase ? lower(s) : s);
      break;
    case MatchMethod::beg:
    case MatchMethod::end:
    case MatchMethod::sub:
    case MatchMethod::dom:
    case MatchMethod::dir:
      for (const auto& s : patterns) p.texts_.push_back(icase ? lower(s) : s);
      break;
    case MatchMethod::reg:
      for (const auto& s : patterns) {
        try {
          auto flags = std::regex::ECMAScript | std::regex::optimize;
          if (icase) flags |= std::regex::icase;
          p.regexes_.emplace_back(s, flags);
        } catch (const std::regex_error& e) {
          return fail(cat(where, ": invalid regex '", s, "': ", e.what()));
        }
      }
      break;
    case MatchMethod::integer:
    case MatchMethod::len: {
      std::vector<std::pair<long long, long long>> r;
      if (auto res = parse_int_patterns(patterns, r, where); !res) return std::unexpected(res.error());
      for (auto [lo, hi] : r) p.ranges_.push_back({lo, hi});
      p.count_ = r.size();
      break;
    }
    case MatchMethod::ip:
      for (const auto& s : patterns) {
        auto c = net::Cidr::parse(s);
        if (!c) return fail(cat(where, ": '", s, "' is not an IP address or network"));
        p.nets_.push_back(*c);
      }
      break;
    case MatchMethod::found:
    case MatchMethod::boolean:
      if (!patterns.empty()) return fail(cat(where, ": this match takes no pattern"));
      break;
  }
  return p;
}

bool PatternSet::match_text(std::string_view t) const {
  std::string folded;
  if (icase_) {
    folded = lower(t);
    t = folded;
  }
  switch (m_) {
    case MatchMethod::str: return exact_.contains(std::string(t));
    case MatchMethod::beg:
      for (const auto& p : texts_)
        if (t.starts_with(p)) return true;
      return false;
    case MatchMethod::end:
      for (const auto& p : texts_)
        if (t.ends_with(p)) return true;
      return false;
    case MatchMethod::sub:
      for (const auto& p : texts_)
        if (t.find(p) != std::string_view::npos) return true;
      return false;
    case MatchMethod::dom:
    case MatchMethod::dir:
      for (const auto& p : texts_)
        if (delimited_part(t, p, m_ == MatchMethod::dom)) return true;
      return false;
    case MatchMethod::reg:
      for (const auto& re : regexes_)
        if (std::regex_search(t.begin(), t.end(), re)) return true;
      return false;
    case MatchMethod::len: return match_int(static_cast<long long>(t.size()));
    default: return false;
  }
}

bool PatternSet::match_int(long long v) const {
  for (const Range& r : ranges_)
    if (v >= r.lo && v <= r.hi) return true;
  return false;
}

bool PatternSet::matches(const Sample& s, EvalContext& ctx) const {
  if (m_ == MatchMethod::found) return s.present();
  if (!s.present()) return false;
  switch (m_) {
    case MatchMethod::boolean:
      return s.type == Sample::Type::boolean ? s.b : s.type == Sample::Type::integer ? s.i != 0 : !s.text(ctx).empty();
    case MatchMethod::integer: {
      long long v = 0;
      if (s.type == Sample::Type::integer) v = s.i;
      else if (s.type == Sample::Type::boolean) v = s.b;
      else if (!parse_int(s.text(ctx), v)) return false;
      return match_int(v);
    }
    case MatchMethod::ip: {
      asio::ip::address a;
      if (s.type == Sample::Type::ip) {
        a = s.ip;
      } else {
        asio::error_code ec;
        a = asio::ip::make_address(std::string(s.text(ctx)), ec);
        if (ec) return false;
      }
      for (const auto& n : nets_)
        if (n.contains(a)) return true;
      return false;
    }
    default:
      return match_text(s.text(ctx));
  }
}

Result<std::shared_ptr<const Acl>> Acl::compile(const std::vector<std::string>& words, const Resolver& r,
                                                std::string_view where, std::vector<std::string>* warnings) {
  if (words.empty()) return fail(cat(where, ": missing criterion"));
  auto acl = std::make_shared<Acl>();
  // Criterion: a fetch as is, or FETCH_METHOD (path_beg, hdr_sub(x)...).
  std::string crit = words[0];
  std::optional<MatchMethod> method;
  std::string_view name = std::string_view(crit).substr(0, crit.find('('));
  if (!find_fetch(name)) {
    size_t us = name.rfind('_');
    if (us != std::string_view::npos) {
      auto m = method_named(name.substr(us + 1));
      std::string base = std::string(name.substr(0, us));
      if (m && find_fetch(base)) {
        method = m;
        crit = base + crit.substr(name.size());
      }
    }
  }
  auto expr = SampleExpr::parse(crit, r, where);
  if (!expr) return std::unexpected(expr.error());
  acl->expr_ = std::move(*expr);
  bool icase = false;
  std::vector<std::string> patterns;
  size_t i = 1;
  for (; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "-i") {
      icase = true;
    } else if (w == "-m") {
      if (i + 1 >= words.size()) return fail(cat(where, ": -m needs a method"));
      auto m = method_named(words[++i]);
      if (!m) return fail(cat(where, ": unknown match method '", words[i], "'"));
      method = m;
    } else if (w == "-f") {
      if (i + 1 >= words.size()) return fail(cat(where, ": -f needs a file"));
      std::ifstream in(words[++i]);
      if (!in) return fail(cat(where, ": cannot read pattern file '", words[i], "'"));
      std::string line;
      while (std::getline(in, line)) {
        std::string_view t = http::syntax::trim_ows(line);
        if (!t.empty() && t[0] != '#') patterns.emplace_back(t);
      }
    } else if (w == "-n" || w == "-u") {
      // -n (no DNS) is what Tandem always does; -u (unique id) changes nothing here.
    } else if (w == "--") {
      ++i;
      break;
    } else {
      break;
    }
  }
  for (; i < words.size(); ++i) patterns.push_back(words[i]);
  MatchMethod m = method.value_or(default_method(acl->expr_.output()));
  // hdr() as an ACL tests every occurrence; with converters it is one sample.
  // (HAProxy's ACLs iterate over the values; an explicit occurrence picks one.)
  const std::string& f = acl->expr_.fetch_name();
  const bool each = !acl->expr_.has_converters() && acl->expr_.args().number == 0;
  if (each && (f == "hdr" || f == "req.hdr")) acl->all_headers_ = HeaderIteration::values;
  else if (each && (f == "fhdr" || f == "req.fhdr")) acl->all_headers_ = HeaderIteration::lines;
  else if (each && (f == "hdr_ip" || f == "req.hdr_ip")) acl->all_headers_ = HeaderIteration::addresses;
  auto ps = PatternSet::compile(m, patterns, icase, where);
  if (!ps) return std::unexpected(ps.error());
  acl->patterns_ = std::move(*ps);
  if (acl->patterns_.empty() && warnings)
    warnings->push_back(cat(where, ": '", words[0], "' has no pattern: this ACL never matches"));
  return std::shared_ptr<const Acl>(std::move(acl));
}

Tri Acl::eval3(EvalContext& ctx) const {
  if (all_headers_ == HeaderIteration::none) {
    Sample s = expr_.eval(ctx);
    if (patterns_.matches(s, ctx)) return Tri::pass;
    // A value that may change (more bytes, the end of the delay) gets
    // another chance before the final evaluation (HAProxy's rule).
    return s.may_change && !ctx.content_final ? Tri::miss : Tri::fail;
  }
  return eval_headers(ctx) ? Tri::pass : Tri::fail;
}

bool Acl::eval_headers(EvalContext& ctx) const {
  if (all_headers_ != HeaderIteration::none && ctx.req) {
    // hdr(NAME) in an ACL tests every occurrence of the header, and every
    // comma-separated value of each (HAProxy's behaviour); fhdr each line
    // whole; hdr_ip each value that is an address.
    bool any = false;
    std::string_view name = expr_.args().text;
    for (const auto& h : ctx.req->headers) {
      if (!http::syntax::iequals(h.name, name)) continue;
      bool hit = false;
      if (all_headers_ == HeaderIteration::lines) {
        any = true;
        hit = patterns_.matches(Sample::of_str(h.value), ctx);
      } else if (all_headers_ == HeaderIteration::addresses) {
        http::syntax::for_each_list_item(h.value, [&](std::string_view v) {
          std::uint8_t a4[4];
          asio::error_code ec;
          asio::ip::address a;
          if (stick::ipv4_prefix(v, a4)) a = asio::ip::address_v4({a4[0], a4[1], a4[2], a4[3]});
          else a = asio::ip::make_address_v6(std::string(v), ec);
          if (ec) return;
          any = true;
          if (!hit && patterns_.matches(Sample::of_ip(a), ctx)) hit = true;
        });
      } else {
        // Each comma-separated value, trimmed, empty ones included (an
        // empty header is one empty value: `-m found` matches it).
        any = true;
        std::string_view v = h.value;
        for (;;) {
          size_t comma = v.find(',');
          if (patterns_.matches(Sample::of_str(http::syntax::trim_ows(v.substr(0, comma))), ctx)) {
            hit = true;
            break;
          }
          if (comma == std::string_view::npos) break;
          v.remove_prefix(comma + 1);
        }
      }
      if (hit) return true;
    }
    if (!any) return patterns_.matches(Sample::none(), ctx);
    return false;
  }
  return patterns_.matches(expr_.eval(ctx), ctx);
}

Result<void> AclSet::add(const std::string& name, std::shared_ptr<const Acl> acl) {
  named_[name].push_back(std::move(acl));
  return {};
}

const std::vector<std::shared_ptr<const Acl>>* AclSet::find(std::string_view name) const {
  auto it = named_.find(name);
  return it == named_.end() ? predefined_acl(name) : &it->second;
}

size_t find_condition(const std::vector<std::string>& words, size_t from) {
  for (size_t i = from; i < words.size(); ++i)
    if (words[i] == "if" || words[i] == "unless") return i;
  return words.size();
}

Result<Condition> Condition::parse(const std::vector<std::string>& words, size_t from, bool unless, const AclSet& acls,
                                   const Resolver& r, std::string_view where, std::vector<std::string>* warnings) {
  Condition c;
  c.unless_ = unless;
  c.any_of_.emplace_back();
  bool negate = false;
  for (size_t i = from; i < words.size(); ++i) {
    std::string w = words[i];
    if (w == "||" || w == "or") {
      if (c.any_of_.back().empty()) return fail(cat(where, ": '", w, "' without a term before it"));
      c.any_of_.emplace_back();
      continue;
    }
    while (!w.empty() && w[0] == '!') {
      negate = !negate;
      w.erase(0, 1);
    }
    if (w.empty()) continue;  // a lone "!": it negates the next term
    Term t;
    t.negate = negate;
    negate = false;
    if (w == "{") {
      std::vector<std::string> inner;
      size_t j = i + 1;
      while (j < words.size() && words[j] != "}") inner.push_back(words[j++]);
      if (j >= words.size()) return fail(cat(where, ": missing '}' in the condition"));
      auto acl = Acl::compile(inner, r, where, warnings);
      if (!acl) return std::unexpected(acl.error());
      t.acls.push_back(*acl);
      i = j;
    } else {
      const auto* named = acls.find(w);
      if (!named) return fail(cat(where, ": no such ACL : '", w, "'"));
      t.acls = *named;
    }
    for (const auto& a : t.acls) c.needs_ |= a->needs();
    c.any_of_.back().push_back(std::move(t));
  }
  if (negate) return fail(cat(where, ": '!' at the end of the condition"));
  if (c.any_of_.back().empty()) return fail(cat(where, ": empty condition"));
  return c;
}

Tri Condition::eval3(EvalContext& ctx) const {
  auto bits = [](Tri t) { return static_cast<unsigned>(t); };
  unsigned result = bits(Tri::fail);
  for (const auto& all : any_of_) {
    unsigned suite = bits(Tri::pass);
    for (const Term& t : all) {  // left to right, stopping at the first non-pass: order matters (sc_inc_gpc0)
      unsigned v = bits(Tri::fail);
      for (const auto& a : t.acls) {
        v |= bits(a->eval3(ctx));
        if (v == bits(Tri::pass)) break;
      }
      if (t.negate && v != bits(Tri::miss)) v = v == bits(Tri::pass) ? bits(Tri::fail) : bits(Tri::pass);
      suite &= v;
      if (suite != bits(Tri::pass)) break;
    }
    result |= suite;
    if (result == bits(Tri::pass)) break;
  }
  Tri r = static_cast<Tri>(result);
  if (unless_ && r != Tri::miss) r = r == Tri::pass ? Tri::fail : Tri::pass;
  return r;
}

}  // namespace tandem::balancer::rules
