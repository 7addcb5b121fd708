#include "balancer/lb/request_key.h"

#include "balancer/http/syntax.h"
#include "balancer/lb/algorithm.h"

namespace tandem::balancer::lb {

std::string_view uri_key(std::string_view target, const config::BalanceSpec& spec) {
  std::string_view k = target;
  // absolute-form: hash the path, as for origin-form requests
  if (k.starts_with("http://") || k.starts_with("https://")) {
    size_t slash = k.find('/', k.find("//") + 2);
    k = slash == std::string_view::npos ? std::string_view("/") : k.substr(slash);
  }
  if (!spec.uri_whole) k = k.substr(0, k.find('?'));
  if (spec.uri_depth) {
    unsigned slashes = 0;
    for (size_t i = 0; i < k.size(); ++i) {
      if (k[i] == '/' && ++slashes > spec.uri_depth) {
        k = k.substr(0, i);
        break;
      }
    }
  }
  if (spec.uri_len && k.size() > spec.uri_len) k = k.substr(0, spec.uri_len);
  return k;
}

std::optional<std::string_view> url_param(std::string_view target, std::string_view name) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::string_view domain_only(std::string_view host) {
  host = host.substr(0, host.find(':'));
  size_t last = host.rfind('.');
  if (last == std::string_view::npos) return host;
  size_t prev = host.rfind('.', last - 1);
  if (last == 0) return host;
  return prev == std::string_view::npos ? host.substr(0, last) : host.substr(prev + 1, last - prev - 1);
}

std::optional<std::uint32_t> source_hash(const config::BalanceSpec& spec, const asio::ip::address& client) {
  if (client.is_v4()) {
    auto b = client.to_v4().to_bytes();
    return hash_for(spec, std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  }
  auto b = client.to_v6().to_bytes();
  return hash_for(spec, std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

std::optional<std::uint32_t> request_hash(const config::BalanceSpec& spec, const http::RequestHead& req,
                                          const asio::ip::address& client) {
  switch (spec.algorithm) {
    case config::Balance::source:
      return source_hash(spec, client);
    case config::Balance::uri:
      return hash_for(spec, uri_key(req.target, spec));
    case config::Balance::url_param: {
      auto v = url_param(req.target, spec.param);
      if (!v) return std::nullopt;
      return hash_for(spec, *v);
    }
    case config::Balance::hdr: {
      const http::Header* h = req.find(spec.param);
      if (!h || h->value.empty()) return std::nullopt;
      return hash_for(spec, spec.hdr_use_domain_only ? domain_only(h->value) : h->value);
    }
    default:
      return std::nullopt;
  }
}

}  // namespace tandem::balancer::lb
