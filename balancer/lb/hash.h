#pragma once
// The hash functions `hash-type ... FUNCTION` names (HAProxy's set): sdbm
// (the default), djb2, wt6, crc32; `avalanche` mixes the result so that keys
// differing in a few bits spread over the servers.

#include <cstdint>
#include <string_view>

#include "balancer/config/model.h"

namespace tandem::balancer::lb {

std::uint32_t hash_sdbm(std::string_view s);
std::uint32_t hash_djb2(std::string_view s);
std::uint32_t hash_wt6(std::string_view s);
std::uint32_t hash_crc32(std::string_view s);
// Bob Jenkins' full-avalanche 32-bit integer mix.
std::uint32_t avalanche(std::uint32_t h);

std::uint32_t hash_key(std::string_view key, config::HashFunction f, bool avalanche);

}  // namespace tandem::balancer::lb
