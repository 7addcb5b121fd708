#pragma once
// The key a hash-based `balance` uses, taken from a request: source address,
// URI (with `len`/`depth`/`whole`), a URL parameter, or a header (with
// `use_domain_only`). Pure; nullopt when the request has no such key, in
// which case the algorithm falls back to round robin (HAProxy's rule).

#include <asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

#include "balancer/config/model.h"
#include "balancer/http/message.h"

namespace tandem::balancer::lb {

// The hashed key for `spec`, or nullopt (not a hash algorithm, or no key).
std::optional<std::uint32_t> request_hash(const config::BalanceSpec& spec, const http::RequestHead& req,
                                          const asio::ip::address& client);
// For `balance source` in TCP mode.
std::optional<std::uint32_t> source_hash(const config::BalanceSpec& spec, const asio::ip::address& client);

// The part of the URI `balance uri` hashes.
std::string_view uri_key(std::string_view target, const config::BalanceSpec& spec);
// The value of URL parameter `name` in the query string, if present.
std::optional<std::string_view> url_param(std::string_view target, std::string_view name);
// "www.example.com:8080" -> "example" for hdr(host) use_domain_only.
std::string_view domain_only(std::string_view host);

}  // namespace tandem::balancer::lb
