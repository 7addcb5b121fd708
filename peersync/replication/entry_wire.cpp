#include "peersync/replication/entry_wire.h"

#include <cstdint>

#include "common/strings.h"

namespace tandem::peersync {

namespace {

struct Reader {
  std::string_view in;
  std::size_t at = 0;
  bool done() const { return at >= in.size(); }
  bool varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (at >= in.size()) return false;
      const auto b = static_cast<std::uint8_t>(in[at++]);
      if (shift == 63 && b > 1) return false;  // more than 64 bits
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool bytes(std::size_t n, std::string_view& out) {
    if (n > in.size() - at) return false;
    out = in.substr(at, n);
    at += n;
    return true;
  }
};

// One field: its number, wire type and, for length-delimited ones, the bytes.
struct Field {
  std::uint32_t number = 0;
  int type = 0;
  std::string_view payload;
};

Result<bool> next_field(Reader& r, Field& f) {
  if (r.done()) return false;
  std::uint64_t tag;
  if (!r.varint(tag)) return fail("truncated tag");
  f.number = static_cast<std::uint32_t>(tag >> 3);
  f.type = static_cast<int>(tag & 7);
  if (f.number == 0 || (tag >> 3) > 0x1fffffff) return fail("field number out of range");
  std::uint64_t v;
  switch (f.type) {
    case 0:
      if (!r.varint(v)) return fail(cat("field ", f.number, ": truncated varint"));
      return true;
    case 1:
      if (!r.bytes(8, f.payload)) return fail(cat("field ", f.number, ": truncated"));
      return true;
    case 5:
      if (!r.bytes(4, f.payload)) return fail(cat("field ", f.number, ": truncated"));
      return true;
    case 2:
      if (!r.varint(v) || v > r.in.size() || !r.bytes(static_cast<std::size_t>(v), f.payload))
        return fail(cat("field ", f.number, ": length past the end"));
      return true;
    default:
      return fail(cat("field ", f.number, ": wire type ", f.type));
  }
}

// A message of scalars only (RateSample): every field well formed.
Result<void> walk_scalars(std::string_view wire) {
  Reader r{wire};
  Field f;
  while (true) {
    auto more = next_field(r, f);
    if (!more) return std::unexpected(more.error());
    if (!*more) return {};
  }
}

Result<void> walk_datum(std::string_view wire) {
  Reader r{wire};
  Field f;
  while (true) {
    auto more = next_field(r, f);
    if (!more) return std::unexpected(more.error());
    if (!*more) return {};
    if (f.number == 3 && f.type == 2)
      if (auto w = walk_scalars(f.payload); !w) return fail(cat("rate: ", w.error().message));
  }
}

}  // namespace

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<std::uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n;
    std::uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<std::uint8_t>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = cp << 6 | (d & 0x3f);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

Result<EntryFields> scan_entry(std::string_view wire) {
  EntryFields out;
  Reader r{wire};
  Field f;
  while (true) {
    auto more = next_field(r, f);
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
    if (f.type != 2) continue;  // every field we check is length-delimited; others are skipped
    switch (f.number) {
      case 1:
      case 3:
      case 6:
        if (!valid_utf8(f.payload)) return fail(cat("field ", f.number, ": not UTF-8"));
        if (f.number == 1) out.table = f.payload;
        if (f.number == 6) out.origin_node = f.payload;
        break;
      case 2: {  // StickKey: a oneof, the last member present wins (messages merge)
        Reader k{f.payload};
        Field kf;
        while (true) {
          auto km = next_field(k, kf);
          if (!km) return fail(cat("key: ", km.error().message));
          if (!*km) break;
          if (kf.number == 2 && kf.type == 0) {
            out.key_bytes = 8;
            out.has_key = true;
          } else if (kf.number >= 1 && kf.number <= 4 && kf.number != 2 && kf.type == 2) {
            out.key_bytes = kf.payload.size();
            out.has_key = true;
          }
        }
        break;
      }
      case 4:
        if (auto w = walk_datum(f.payload); !w) return fail(cat("data: ", w.error().message));
        break;
      default:  // an unknown field: its bytes are the balancer's business
        break;
    }
  }
  return out;
}

std::string_view entry_table(std::string_view wire) {
  Reader r{wire};
  Field f;
  while (true) {
    auto more = next_field(r, f);
    if (!more || !*more) return {};
    if (f.number == 1 && f.type == 2) return f.payload;
  }
}

}  // namespace tandem::peersync
