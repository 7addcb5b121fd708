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
    if (at < in.size() && !(static_cast<std::uint8_t>(in[at]) & 0x80)) {  // one byte: nearly every tag and length
      v = static_cast<std::uint8_t>(in[at++]);
      return true;
    }
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

// One field: true, false at the end, or a failure in `bad` (the field
// number and a reason; the message is made only when it is needed).
struct Bad {
  const char* why = nullptr;
  std::uint32_t number = 0;
  int type = 0;
  bool in_rate = false;  // inside a datum's rate message
  std::string text() const {
    std::string t = number == 0 ? std::string(why)
                    : type      ? cat("field ", number, ": ", why, " ", type)
                                : cat("field ", number, ": ", why);
    return in_rate ? cat("rate: ", t) : t;
  }
};

inline bool next_field(Reader& r, Field& f, Bad& bad) {
  if (r.done()) return false;
  std::uint64_t tag;
  if (!r.varint(tag)) {
    bad = {"truncated tag"};
    return false;
  }
  f.number = static_cast<std::uint32_t>(tag >> 3);
  f.type = static_cast<int>(tag & 7);
  if (f.number == 0 || (tag >> 3) > 0x1fffffff) {
    bad = {"field number out of range"};
    return false;
  }
  std::uint64_t v;
  switch (f.type) {
    case 0:
      if (r.varint(v)) return true;
      bad = {"truncated varint", f.number};
      return false;
    case 1:
      if (r.bytes(8, f.payload)) return true;
      bad = {"truncated", f.number};
      return false;
    case 5:
      if (r.bytes(4, f.payload)) return true;
      bad = {"truncated", f.number};
      return false;
    case 2:
      if (r.varint(v) && v <= r.in.size() && r.bytes(static_cast<std::size_t>(v), f.payload)) return true;
      bad = {"length past the end", f.number};
      return false;
    default:
      bad = {"wire type", f.number, f.type};
      return false;
  }
}

// A message of scalars only (RateSample): every field well formed.
bool walk_scalars(std::string_view wire, Bad& bad) {
  Reader r{wire};
  Field f;
  while (next_field(r, f, bad)) {
  }
  return !bad.why;
}

bool walk_datum(std::string_view wire, Bad& bad) {
  Reader r{wire};
  Field f;
  while (next_field(r, f, bad))
    if (f.number == 3 && f.type == 2 && !walk_scalars(f.payload, bad)) {
      bad.in_rate = true;
      return false;
    }
  return !bad.why;
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
  Bad bad;
  while (next_field(r, f, bad)) {
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
        Bad kbad;
        while (next_field(k, kf, kbad)) {
          if (kf.number == 2 && kf.type == 0) {
            out.key_bytes = 8;
            out.has_key = true;
          } else if (kf.number >= 1 && kf.number <= 4 && kf.number != 2 && kf.type == 2) {
            out.key_bytes = kf.payload.size();
            out.has_key = true;
          }
        }
        if (kbad.why) return fail(cat("key: ", kbad.text()));
        break;
      }
      case 4: {
        Bad dbad;
        if (!walk_datum(f.payload, dbad)) return fail(cat("data: ", dbad.text()));
        break;
      }
      default:  // an unknown field: its bytes are the balancer's business
        break;
    }
  }
  if (bad.why) return fail(bad.text());
  return out;
}

std::string_view entry_table(std::string_view wire) {
  Reader r{wire};
  Field f;
  Bad bad;
  while (next_field(r, f, bad))
    if (f.number == 1 && f.type == 2) return f.payload;
  return {};
}

}  // namespace tandem::peersync
