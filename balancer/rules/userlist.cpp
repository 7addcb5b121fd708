#include "balancer/rules/userlist.h"

#include <crypt.h>

#include <cstring>

#include "balancer/http/syntax.h"
#include "common/strings.h"

namespace tandem::balancer::rules {

std::optional<std::string> base64_decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (char c : in) {
    int v = val(c);
    if (v < 0) return std::nullopt;
    buf = (buf << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xff));
    }
  }
  return out;
}

Userlist::Userlist(const config::Userlist& cfg) : cfg_(cfg) {}

bool Userlist::check_password(const config::Userlist::User& u, std::string_view password) {
  if (u.insecure) {
    // Constant-time comparison: the length may leak, the content does not.
    if (u.password.size() != password.size()) return false;
    unsigned char d = 0;
    for (size_t i = 0; i < password.size(); ++i) d |= static_cast<unsigned char>(u.password[i] ^ password[i]);
    return d == 0;
  }
  crypt_data data;
  std::memset(&data, 0, sizeof data);
  std::string pw(password);
  const char* h = crypt_r(pw.c_str(), u.password.c_str(), &data);
  return h && u.password == h;
}

std::optional<std::string> Userlist::authenticate(const http::RequestHead& req) const {
  const http::Header* auth = nullptr;
  for (const auto& h : req.headers)
    if (http::syntax::iequals(h.name, "authorization")) auth = &h;
  if (!auth) return std::nullopt;
  std::string_view v = auth->value;
  if (v.size() < 6 || !http::syntax::iequals(v.substr(0, 6), "basic ")) return std::nullopt;
  std::string key(v);
  {
    std::lock_guard lock(mutex_);
    auto it = verified_.find(key);
    if (it != verified_.end()) return it->second;
  }
  auto decoded = base64_decode(http::syntax::trim_ows(v.substr(6)));
  if (!decoded) return std::nullopt;
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string user = decoded->substr(0, colon);
  std::string_view pass = std::string_view(*decoded).substr(colon + 1);
  for (const auto& u : cfg_.users) {
    if (u.name != user || !check_password(u, pass)) continue;
    std::lock_guard lock(mutex_);
    if (verified_.size() >= kCacheLimit) verified_.clear();
    verified_.emplace(std::move(key), user);
    return user;
  }
  return std::nullopt;
}

std::string Userlist::groups_of(const std::string& user) const {
  std::vector<std::string> groups;
  for (const auto& u : cfg_.users)
    if (u.name == user) groups.insert(groups.end(), u.groups.begin(), u.groups.end());
  for (const auto& g : cfg_.groups)
    for (const auto& m : g.users)
      if (m == user) groups.push_back(g.name);
  return join(groups, ",");
}

}  // namespace tandem::balancer::rules
