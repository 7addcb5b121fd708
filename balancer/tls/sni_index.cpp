#include "balancer/tls/sni_index.h"

#include <algorithm>

namespace tandem::balancer::tls {

std::string lower_name(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

void SniIndex::add(std::string_view name, std::size_t cert) {
  if (name.empty()) return;
  if (name.front() == '!') {
    negative_[lower_name(name.substr(1))].push_back(cert);
    return;
  }
  if (name.starts_with("*.")) {
    auto& v = wildcard_[lower_name(name.substr(2))];
    if (std::find(v.begin(), v.end(), cert) == v.end()) v.push_back(cert);
    return;
  }
  auto& v = exact_[lower_name(name)];
  if (std::find(v.begin(), v.end(), cert) == v.end()) v.push_back(cert);
}

bool SniIndex::excluded(const std::string& name, std::size_t cert) const {
  auto it = negative_.find(name);
  return it != negative_.end() && std::find(it->second.begin(), it->second.end(), cert) != it->second.end();
}

std::optional<std::size_t> SniIndex::find(std::string_view server_name) const {
  if (server_name.empty()) return std::nullopt;
  std::string name = lower_name(server_name);
  if (name.back() == '.') name.pop_back();  // an absolute name
  if (auto it = exact_.find(name); it != exact_.end())
    for (std::size_t c : it->second)
      if (!excluded(name, c)) return c;
  size_t dot = name.find('.');
  if (dot == std::string::npos || dot == 0) return std::nullopt;
  if (auto it = wildcard_.find(name.substr(dot + 1)); it != wildcard_.end())
    for (std::size_t c : it->second)
      if (!excluded(name, c)) return c;
  return std::nullopt;
}

}  // namespace tandem::balancer::tls
