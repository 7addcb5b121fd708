#include "balancer/lb/hash.h"

#include <array>

namespace tandem::balancer::lb {

std::uint32_t hash_sdbm(std::string_view s) {
  std::uint32_t h = 0;
  for (unsigned char c : s) h = c + (h << 6) + (h << 16) - h;
  return h;
}

std::uint32_t hash_djb2(std::string_view s) {
  std::uint32_t h = 5381;
  for (unsigned char c : s) h = (h << 5) + h + c;
  return h;
}

// "wt6": Willy Tarreau's hash, designed for spreading short keys.
std::uint32_t hash_wt6(std::string_view s) {
  std::uint32_t h0 = 0xa53c965aU, h1 = 0x5ca6953aU;
  std::uint32_t step0 = 6, step1 = 18;
  for (unsigned char c : s) {
    std::uint32_t t = c;
    h0 = ~(h0 ^ t);
    h1 = ~(h1 + t);
    t = (h1 << step0) | (h1 >> (32 - step0));
    h1 = (h0 << step1) | (h0 >> (32 - step1));
    h0 = t;
    t = ((h0 >> 16) ^ h1) & 0xffff;
    step0 = t & 0x1f;
    step1 = t >> 11;
  }
  return h0 ^ h1;
}

namespace {
constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320U ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();
}  // namespace

std::uint32_t hash_crc32(std::string_view s) {
  std::uint32_t c = 0xffffffffU;
  for (unsigned char b : s) c = kCrcTable[(c ^ b) & 0xff] ^ (c >> 8);
  return ~c;
}

std::uint32_t avalanche(std::uint32_t a) {
  a = (a + 0x7ed55d16) + (a << 12);
  a = (a ^ 0xc761c23c) ^ (a >> 19);
  a = (a + 0x165667b1) + (a << 5);
  a = (a + 0xd3a2646c) ^ (a << 9);
  a = (a + 0xfd7046c5) + (a << 3);
  a = (a ^ 0xb55a4f09) ^ (a >> 16);
  return a;
}

std::uint32_t hash_key(std::string_view key, config::HashFunction f, bool mix) {
  std::uint32_t h = 0;
  switch (f) {
    case config::HashFunction::sdbm: h = hash_sdbm(key); break;
    case config::HashFunction::djb2: h = hash_djb2(key); break;
    case config::HashFunction::wt6: h = hash_wt6(key); break;
    case config::HashFunction::crc32: h = hash_crc32(key); break;
  }
  return mix ? avalanche(h) : h;
}

}  // namespace tandem::balancer::lb
