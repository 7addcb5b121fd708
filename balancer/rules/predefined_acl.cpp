#include "balancer/rules/predefined_acl.h"

#include <map>
#include <string>

namespace tandem::balancer::rules {

namespace {

struct Predefined {
  std::string_view name;
  std::vector<std::string> words;  // the ACL's criterion and patterns
};

// HAProxy 2.6's list, for the criteria Tandem evaluates.
const Predefined kPredefined[] = {
    {"TRUE", {"always_true"}},
    {"WAIT_END", {"wait_end"}},
    {"FALSE", {"always_false"}},
    {"LOCALHOST", {"src", "127.0.0.1/8", "::1"}},
    {"METH_CONNECT", {"method", "CONNECT"}},
    {"METH_DELETE", {"method", "DELETE"}},
    {"METH_GET", {"method", "GET", "HEAD"}},
    {"METH_HEAD", {"method", "HEAD"}},
    {"METH_OPTIONS", {"method", "OPTIONS"}},
    {"METH_POST", {"method", "POST"}},
    {"METH_PUT", {"method", "PUT"}},
    {"METH_TRACE", {"method", "TRACE"}},
};

using Table = std::map<std::string_view, std::vector<std::shared_ptr<const Acl>>, std::less<>>;

Table build() {
  Table t;
  for (const Predefined& p : kPredefined) {
    auto acl = Acl::compile(p.words, Resolver{}, p.name, nullptr);
    if (acl) t[p.name].push_back(*acl);
  }
  return t;
}

}  // namespace

const std::vector<std::shared_ptr<const Acl>>* predefined_acl(std::string_view name) {
  static const Table table = build();  // compiled once, read-only afterwards
  auto it = table.find(name);
  return it == table.end() ? nullptr : &it->second;
}

}  // namespace tandem::balancer::rules
