#pragma once
// Keys in a table's canonical byte form, and how samples and text become keys.
//
// Canonical forms (what an entry stores and the hash covers):
//   ip       4 bytes, network order
//   ipv6     16 bytes, network order (IPv4 as ::ffff:a.b.c.d)
//   integer  4 bytes, a host-order int32
//   string   0..len bytes (a longer sample is truncated to len, as HAProxy)
//   binary   exactly len bytes (a shorter sample is zero-padded, a longer one
//            truncated, as HAProxy)

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "balancer/stick/stick_types.h"
#include "common/error.h"

namespace tandem::balancer::stick {

// A key's bytes, not owned. Data-path calls take keys this way: for ip keys
// the view points at the caller's 4 bytes and nothing is copied.
struct KeyView {
  const std::uint8_t* data = nullptr;
  std::uint32_t size = 0;

  std::string_view bytes() const { return {reinterpret_cast<const char*>(data), size}; }
  bool operator==(const KeyView& o) const { return size == o.size && std::memcmp(data, o.data, size) == 0; }
};

// What a table's keys look like.
struct KeyFormat {
  KeyType type = KeyType::ip;
  std::uint32_t len = 4;  // TableDef::key_len

  static KeyFormat of(const TableDef& def) { return {def.key_type, def.key_len}; }
  // True when `size` bytes is a valid canonical key of this format.
  bool valid_size(std::uint32_t size) const { return type == KeyType::string ? size <= len : size == len; }
};

// Room for any canonical key, on the caller's stack.
class KeyBuf {
 public:
  KeyView view() const { return {bytes_, size_}; }
  std::uint8_t* data() { return bytes_; }
  void set_size(std::uint32_t n) { size_ = n; }
  void assign(std::string_view b) {
    size_ = static_cast<std::uint32_t>(b.size() < kMaxKeyLen ? b.size() : kMaxKeyLen);
    std::memcpy(bytes_, b.data(), size_);
  }

 private:
  std::uint8_t bytes_[kMaxKeyLen];
  std::uint32_t size_ = 0;
};

// Sample -> key conversions: HAProxy's smp_to_stkey, which casts the sample
// to the table's type (sample.c's sample_casts) before keying. False when the
// sample does not convert (HAProxy then tracks/stores nothing):
//   IPv4 sample   ip: as is; ipv6: v4-mapped; integer: its 32-bit value
//                 (c_ip2int); string: dotted text; binary: the 4 bytes.
//   IPv6 sample   ipv6: as is; ip: only a v4-mapped address; string: text;
//                 binary: the 16 bytes; integer: no.
//   integer       integer: as is (a value out of int32 range is refused where
//                 HAProxy would truncate it); ip: the address of that 32-bit
//                 value (c_int2ip); ipv6: that address v4-mapped; string:
//                 decimal text; binary: 8 bytes big-endian.
//   text          string/binary: the bytes; ip: a dotted quad, whatever
//                 follows it ignored ("192.0.2.1:80"), as HAProxy's buf2ip;
//                 ipv6: an IPv6 address (a dotted quad does not convert: HAProxy's
//                 c_str2ipv6 is inet_pton(AF_INET6)); integer: the leading
//                 [+-]digits, as HAProxy's read_int64 ("12ab" is 12, "ab" is
//                 0); empty text converts to nothing.
bool key_from_ipv4(const KeyFormat& f, const std::uint8_t (&addr)[4], KeyBuf& out);
bool key_from_ipv6(const KeyFormat& f, const std::uint8_t (&addr)[16], KeyBuf& out);
bool key_from_int(const KeyFormat& f, std::int64_t v, KeyBuf& out);
bool key_from_string(const KeyFormat& f, std::string_view s, KeyBuf& out);
bool key_from_binary(const KeyFormat& f, std::span<const std::uint8_t> b, KeyBuf& out);

// A dotted quad at the start of `s`, the rest ignored (HAProxy's buf2ip and
// url2ipv4): "192.0.2.1", "192.0.2.1:8080". Each part 0..255, exactly four.
bool ipv4_prefix(std::string_view s, std::uint8_t (&out)[4]);
// HAProxy's read_int64: an optional sign, then the leading digits (none: 0),
// saturating.
std::int64_t leading_int(std::string_view s);

// Text as an operator types it (tandemctl, Admin.ShowTable key): dotted IPv4,
// IPv6 (or IPv4, stored v4-mapped, in an ipv6 table), a decimal int32, the
// string itself, hex for binary. Errors say what was expected.
Result<void> parse_key_text(const KeyFormat& f, std::string_view text, KeyBuf& out);
// The inverse, for display.
std::string format_key_text(const KeyFormat& f, KeyView key);

// Keyed hash of a canonical key. The seed is random per table (the runtime
// draws it), so clients choosing keys (string keys from headers) cannot aim
// at one hash chain without knowing it.
std::uint64_t hash_key(KeyView key, std::uint64_t seed);

}  // namespace tandem::balancer::stick
