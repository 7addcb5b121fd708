#pragma once
// ACLs and conditions, as HAProxy writes them:
//   acl NAME CRITERION [-i] [-m METHOD] [-f FILE] [--] [OPERATOR] PATTERN...
//   ... if|unless [!]TERM [[!]TERM...] [or|'||' ...]    TERM: NAME or { CRITERION ... }
// A criterion is a fetch with its usual match method (path_beg = path matched
// with `beg`, src = ip, sc0_conn_rate = integer), or any sample expression
// with -m. Several `acl` lines with one name are ORed. An ACL is usable only
// after its declaration (HAProxy's rule). Regexes compile once, at load.

#include <map>
#include <memory>
#include <regex>
#include <string>
#include <unordered_set>
#include <vector>

#include "balancer/net/cidr.h"
#include "balancer/rules/sample.h"
#include "common/config/lexer.h"

namespace tandem::balancer::rules {

// A condition's outcome during tcp-request content inspection: decided
// (fail, pass), or undecided until more of the request arrives (miss). The
// values combine as HAProxy's ACL_TEST_*: AND is &, OR is |.
enum class Tri : std::uint8_t { fail = 0, miss = 1, pass = 3 };

enum class MatchMethod { str, beg, end, sub, reg, dom, dir, len, found, integer, ip, boolean };

class PatternSet {
 public:
  static Result<PatternSet> compile(MatchMethod m, const std::vector<std::string>& patterns, bool icase,
                                    std::string_view where);
  bool matches(const Sample& s, EvalContext& ctx) const;
  bool empty() const { return count_ == 0 && m_ != MatchMethod::found && m_ != MatchMethod::boolean; }

 private:
  bool match_text(std::string_view t) const;
  bool match_int(long long v) const;

  MatchMethod m_ = MatchMethod::str;
  bool icase_ = false;
  std::size_t count_ = 0;
  std::unordered_set<std::string> exact_;
  std::vector<std::string> texts_;
  std::vector<std::regex> regexes_;
  struct Range {
    long long lo, hi;
  };
  std::vector<Range> ranges_;
  std::vector<net::Cidr> nets_;
};

class Acl {
 public:
  // `words` start at the criterion (after `acl NAME`, or inside `{ }`).
  static Result<std::shared_ptr<const Acl>> compile(const std::vector<std::string>& words, const Resolver& r,
                                                    std::string_view where, std::vector<std::string>* warnings);
  bool eval(EvalContext& ctx) const { return eval3(ctx) == Tri::pass; }
  Tri eval3(EvalContext& ctx) const;
  unsigned needs() const { return expr_.needs(); }

 private:
  SampleExpr expr_;
  PatternSet patterns_;
  // hdr*() criteria without an occurrence test every value of the header.
  enum class HeaderIteration : std::uint8_t { none, values, lines, addresses };
  HeaderIteration all_headers_ = HeaderIteration::none;
  bool eval_headers(EvalContext& ctx) const;
};

// The named ACLs of one proxy, in declaration order.
class AclSet {
 public:
  Result<void> add(const std::string& name, std::shared_ptr<const Acl> acl);
  const std::vector<std::shared_ptr<const Acl>>* find(std::string_view name) const;

 private:
  std::map<std::string, std::vector<std::shared_ptr<const Acl>>, std::less<>> named_;
};

class Condition {
 public:
  // Parses words[from..] (the words after `if`/`unless`); `unless` inverts.
  static Result<Condition> parse(const std::vector<std::string>& words, size_t from, bool unless, const AclSet& acls,
                                 const Resolver& r, std::string_view where, std::vector<std::string>* warnings);
  bool eval(EvalContext& ctx) const { return eval3(ctx) == Tri::pass; }
  // Three-valued, as HAProxy's acl_exec_cond: miss only before
  // ctx.content_final, when a fetch that may change decides nothing yet.
  Tri eval3(EvalContext& ctx) const;
  unsigned needs() const { return needs_; }

 private:
  struct Term {
    bool negate = false;
    std::vector<std::shared_ptr<const Acl>> acls;  // ORed (a name may have several lines)
  };
  std::vector<std::vector<Term>> any_of_;  // OR of ANDs
  bool unless_ = false;
  unsigned needs_ = 0;
};

// Finds `if`/`unless` in words[from..]: the index of the keyword, or words.size().
size_t find_condition(const std::vector<std::string>& words, size_t from);

}  // namespace tandem::balancer::rules
