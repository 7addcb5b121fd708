#include "balancer/config/parse_sections.h"

#include "common/net_address.h"
#include "common/strings.h"

namespace tandem::balancer::config {

namespace {
std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t c = s.find(',', start);
    std::string_view part = s.substr(start, c == std::string_view::npos ? std::string_view::npos : c - start);
    if (!part.empty()) out.emplace_back(part);
    if (c == std::string_view::npos) break;
    start = c + 1;
  }
  return out;
}
}  // namespace

Result<void> parse_userlist_line(Userlist& u, const Line& l) {
  const std::string& k = l.words[0];
  if (k == "user") {
    if (l.words.size() < 2) return fail(line_error(l, "expects a name"));
    Userlist::User user;
    user.name = l.words[1];
    user.origin = origin_of(l);
    for (const auto& other : u.users)
      if (other.name == user.name) return fail(line_error(l, cat("'", user.name, "' is already declared")));
    bool have_password = false;
    for (size_t i = 2; i < l.words.size(); i += 2) {
      const std::string& o = l.words[i];
      if (i + 1 >= l.words.size()) return fail(line_error(l, cat("'", o, "' expects a value")));
      if (o == "password" || o == "insecure-password") {
        if (have_password) return fail(line_error(l, "a password is given twice"));
        have_password = true;
        user.password = l.words[i + 1];
        user.insecure = o == "insecure-password";
      } else if (o == "groups") {
        user.groups = split_list(l.words[i + 1]);
      } else {
        return fail(line_error(l, cat("unknown option '", o, "' (password, insecure-password, groups)")));
      }
    }
    if (!have_password) return fail(line_error(l, cat("'", user.name, "' has no password")));
    u.users.push_back(std::move(user));
    return {};
  }
  if (k == "group") {
    if (l.words.size() != 2 && !(l.words.size() == 4 && l.words[2] == "users"))
      return fail(line_error(l, "expects NAME [users U1,U2...]"));
    Userlist::Group g;
    g.name = l.words[1];
    g.origin = origin_of(l);
    if (l.words.size() == 4) g.users = split_list(l.words[3]);
    u.groups.push_back(std::move(g));
    return {};
  }
  return fail(line_error(l, "unknown keyword in section 'userlist' (user, group)"));
}

Result<void> parse_peers_line(PeersSection& p, const Line& l) {
  const std::string& k = l.words[0];
  if (k == "peer") {
    if (l.words.size() != 3) return fail(line_error(l, "expects NAME ADDRESS:PORT"));
    auto a = parse_host_port(l.words[2]);
    if (!a) return fail(line_error(l, a.error().message));
    for (const auto& other : p.peers)
      if (other.name == l.words[1]) return fail(line_error(l, cat("'", l.words[1], "' is already declared")));
    p.peers.push_back({l.words[1], l.words[2], origin_of(l)});
    return {};
  }
  if (k == "disabled" || k == "enabled") {
    if (auto r = expect_args(l, 1, 0, "no argument"); !r) return r;
    p.disabled = k == "disabled";
    return {};
  }
  return fail(line_error(l, "unknown keyword in section 'peers' (peer)"));
}

}  // namespace tandem::balancer::config
