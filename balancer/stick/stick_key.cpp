#include "balancer/stick/stick_key.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <limits>

#include "common/strings.h"

namespace tandem::balancer::stick {

namespace {

constexpr std::uint8_t kV4Mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::uint64_t load64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

std::uint64_t mum(std::uint64_t a, std::uint64_t b) {
  unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool key_from_ipv4(const KeyFormat& f, const std::uint8_t (&addr)[4], KeyBuf& out) {
  if (f.type == KeyType::ip) {
    std::memcpy(out.data(), addr, 4);
    out.set_size(4);
    return true;
  }
  if (f.type == KeyType::ipv6) {
    std::memcpy(out.data(), kV4Mapped, 12);
    std::memcpy(out.data() + 12, addr, 4);
    out.set_size(16);
    return true;
  }
  if (f.type == KeyType::binary) return key_from_binary(f, std::span<const std::uint8_t>(addr, 4), out);
  if (f.type == KeyType::integer) {
    // c_ip2int: the address as a 32-bit number (stored as the int32 of the same bits).
    const std::uint32_t v = std::uint32_t{addr[0]} << 24 | std::uint32_t{addr[1]} << 16 | std::uint32_t{addr[2]} << 8 | addr[3];
    std::memcpy(out.data(), &v, 4);
    out.set_size(4);
    return true;
  }
  if (f.type == KeyType::string) {
    char buf[INET_ADDRSTRLEN];
    return ::inet_ntop(AF_INET, addr, buf, sizeof buf) && key_from_string(f, buf, out);
  }
  return false;
}

bool key_from_ipv6(const KeyFormat& f, const std::uint8_t (&addr)[16], KeyBuf& out) {
  if (f.type == KeyType::ipv6) {
    std::memcpy(out.data(), addr, 16);
    out.set_size(16);
    return true;
  }
  if (f.type == KeyType::ip) {
    if (std::memcmp(addr, kV4Mapped, 12) != 0) return false;
    std::memcpy(out.data(), addr + 12, 4);
    out.set_size(4);
    return true;
  }
  if (f.type == KeyType::binary) return key_from_binary(f, std::span<const std::uint8_t>(addr, 16), out);
  if (f.type == KeyType::string) {
    char buf[INET6_ADDRSTRLEN];
    return ::inet_ntop(AF_INET6, addr, buf, sizeof buf) && key_from_string(f, buf, out);
  }
  return false;
}

bool key_from_int(const KeyFormat& f, std::int64_t v, KeyBuf& out) {
  switch (f.type) {
    case KeyType::integer: {
      if (v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max()) return false;
      std::int32_t i = static_cast<std::int32_t>(v);
      std::memcpy(out.data(), &i, 4);
      out.set_size(4);
      return true;
    }
    case KeyType::ip:
    case KeyType::ipv6: {  // c_int2ip: the low 32 bits as an address
      const auto u = static_cast<std::uint32_t>(v);
      const std::uint8_t a[4] = {static_cast<std::uint8_t>(u >> 24), static_cast<std::uint8_t>(u >> 16),
                                 static_cast<std::uint8_t>(u >> 8), static_cast<std::uint8_t>(u)};
      return key_from_ipv4(f, a, out);
    }
    case KeyType::string: {
      char buf[24];
      int n = std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
      return key_from_string(f, std::string_view(buf, static_cast<size_t>(n)), out);
    }
    case KeyType::binary: {  // c_int2bin: 8 bytes, network order
      std::uint8_t b[8];
      const auto u = static_cast<std::uint64_t>(v);
      for (int i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(u >> (56 - 8 * i));
      return key_from_binary(f, std::span<const std::uint8_t>(b, 8), out);
    }
  }
  return false;
}

bool key_from_string(const KeyFormat& f, std::string_view s, KeyBuf& out) {
  switch (f.type) {
    case KeyType::string:
      out.assign(s.substr(0, std::min<size_t>(s.size(), f.len)));
      return true;
    case KeyType::binary:
      return key_from_binary(
          f, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()), out);
    case KeyType::ip: {
      std::uint8_t a[4];
      return ipv4_prefix(s, a) && key_from_ipv4(f, a, out);
    }
    case KeyType::ipv6: {
      char buf[INET6_ADDRSTRLEN + 1];
      if (s.empty() || s.size() >= sizeof buf) return false;
      std::memcpy(buf, s.data(), s.size());
      buf[s.size()] = '\0';
      std::uint8_t a[16];
      return ::inet_pton(AF_INET6, buf, a) == 1 && key_from_ipv6(f, a, out);
    }
    case KeyType::integer:
      return !s.empty() && key_from_int(f, leading_int(s), out);
  }
  return false;
}

bool ipv4_prefix(std::string_view s, std::uint8_t (&out)[4]) {
  std::uint8_t a[4] = {};
  int parts = 0;
  bool digit_seen = false;
  unsigned part = 0;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      part = part * 10 + static_cast<unsigned>(c - '0');
      if (part > 255) return false;
      if (!digit_seen) {
        if (++parts > 4) return false;
        digit_seen = true;
      }
      a[parts - 1] = static_cast<std::uint8_t>(part);
    } else if (c == '.') {
      if (!digit_seen || parts == 4) return false;
      digit_seen = false;
      part = 0;
    } else {
      break;  // the address ends here (":port", a space...)
    }
  }
  if (parts < 4 || !digit_seen) return false;
  std::memcpy(out, a, 4);
  return true;
}

std::int64_t leading_int(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
      v = std::numeric_limits<std::uint64_t>::max();
      break;
    }
    v = v * 10 + d;
  }
  if (neg) return v >= (std::uint64_t{1} << 63) ? std::numeric_limits<std::int64_t>::min() : -static_cast<std::int64_t>(v);
  return v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ? std::numeric_limits<std::int64_t>::max()
                                                                                   : static_cast<std::int64_t>(v);
}

bool key_from_binary(const KeyFormat& f, std::span<const std::uint8_t> b, KeyBuf& out) {
  if (f.type == KeyType::string) {
    return key_from_string(f, std::string_view(reinterpret_cast<const char*>(b.data()), b.size()), out);
  }
  if (f.type != KeyType::binary) return false;
  size_t n = std::min<size_t>(b.size(), f.len);
  if (n) std::memcpy(out.data(), b.data(), n);
  std::memset(out.data() + n, 0, f.len - n);
  out.set_size(f.len);
  return true;
}

Result<void> parse_key_text(const KeyFormat& f, std::string_view text, KeyBuf& out) {
  std::string t(text);  // inet_pton wants a NUL-terminated string
  switch (f.type) {
    case KeyType::ip: {
      std::uint8_t a[4];
      if (::inet_pton(AF_INET, t.c_str(), a) == 1 && key_from_ipv4(f, a, out)) return {};
      std::uint8_t a6[16];
      if (::inet_pton(AF_INET6, t.c_str(), a6) == 1 && key_from_ipv6(f, a6, out)) return {};
      return fail(cat("'", text, "' is not an IPv4 address"));
    }
    case KeyType::ipv6: {
      std::uint8_t a6[16];
      if (::inet_pton(AF_INET6, t.c_str(), a6) == 1 && key_from_ipv6(f, a6, out)) return {};
      std::uint8_t a[4];
      if (::inet_pton(AF_INET, t.c_str(), a) == 1 && key_from_ipv4(f, a, out)) return {};
      return fail(cat("'", text, "' is not an IPv6 or IPv4 address"));
    }
    case KeyType::integer: {
      long long v = 0;
      if (parse_int(text, v) && key_from_int(f, v, out)) return {};
      return fail(cat("'", text, "' is not a 32-bit integer"));
    }
    case KeyType::string:
      if (text.size() > f.len) return fail(cat("key is ", text.size(), " bytes, longer than the table's len ", f.len));
      key_from_string(f, text, out);
      return {};
    case KeyType::binary: {
      if (text.size() % 2 != 0) return fail(cat("'", text, "' is not hex (an odd number of digits)"));
      if (text.size() / 2 > f.len)
        return fail(cat("key is ", text.size() / 2, " bytes, longer than the table's len ", f.len));
      std::uint8_t bytes[kMaxKeyLen];
      for (size_t i = 0; i < text.size(); i += 2) {
        int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
        if (hi < 0 || lo < 0) return fail(cat("'", text, "' is not hex"));
        bytes[i / 2] = static_cast<std::uint8_t>(hi << 4 | lo);
      }
      key_from_binary(f, std::span<const std::uint8_t>(bytes, text.size() / 2), out);
      return {};
    }
  }
  return fail("unknown key type");
}

std::string format_key_text(const KeyFormat& f, KeyView key) {
  char buf[INET6_ADDRSTRLEN];
  switch (f.type) {
    case KeyType::ip:
      if (key.size == 4 && ::inet_ntop(AF_INET, key.data, buf, sizeof buf)) return buf;
      break;
    case KeyType::ipv6:
      if (key.size == 16 && ::inet_ntop(AF_INET6, key.data, buf, sizeof buf)) return buf;
      break;
    case KeyType::integer:
      if (key.size == 4) {
        std::int32_t v;
        std::memcpy(&v, key.data, 4);
        return cat(v);
      }
      break;
    case KeyType::string:
      return std::string(key.bytes());
    case KeyType::binary: {
      static constexpr char kHex[] = "0123456789abcdef";
      std::string s;
      s.reserve(key.size * 2);
      for (std::uint32_t i = 0; i < key.size; ++i) {
        s.push_back(kHex[key.data[i] >> 4]);
        s.push_back(kHex[key.data[i] & 15]);
      }
      return s;
    }
  }
  return "?";
}

// A wyhash-style mix: 16 bytes per multiply, the length and a per-table seed
// folded in. Good dispersion for 4-byte keys (the common case) in a few
// cycles; not a MAC, but the seed keeps chains unpredictable to clients.
std::uint64_t hash_key(KeyView key, std::uint64_t seed) {
  constexpr std::uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL, k2 = 0x8ebc6af09c88c6e3ULL;
  const std::uint8_t* p = key.data;
  std::uint32_t n = key.size;
  std::uint64_t h = seed ^ k0 ^ n;
  while (n > 16) {
    h = mum(load64(p) ^ k1 ^ h, load64(p + 8) ^ k2);
    p += 16;
    n -= 16;
  }
  std::uint8_t tail[16] = {};
  if (n) std::memcpy(tail, p, n);
  h = mum(load64(tail) ^ k1 ^ h, load64(tail + 8) ^ k2 ^ seed);
  return mum(h ^ k0, key.size ^ k1);
}

}  // namespace tandem::balancer::stick
