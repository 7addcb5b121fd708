// Untrusted stick-table input, without protobuf: operator text keys, and
// entries as a peer could send them (any key length, any data type, absurd
// values and times) applied to small tables that evict and expire. Nothing
// may crash, a valid key must survive text -> key -> text -> key, and no
// table may ever hold more than its size.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "balancer/stick/stick_registry.h"
#include "balancer/stick/stick_table_parser.h"
#include "common/config/lexer.h"

using namespace tandem::balancer::stick;

namespace {

struct Reader {
  const std::uint8_t* p;
  std::size_t n;
  std::uint8_t u8() { return n ? (--n, *p++) : 0; }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | u8();
    return v;
  }
  std::string bytes(std::size_t max) {
    std::size_t k = std::min<std::size_t>(u8() % (max + 1), n);
    std::string s(reinterpret_cast<const char*>(p), k);
    p += k;
    n -= k;
    return s;
  }
};

TableDef def(const char* text, const char* name) {
  auto lines = tandem::config::lex(text, "fuzz.cfg");
  return *parse_stick_table(lines->at(0), name);
}

void check_text_key(Reader& r) {
  static const KeyFormat formats[] = {
      {KeyType::ip, 4}, {KeyType::ipv6, 16}, {KeyType::integer, 4}, {KeyType::string, 8}, {KeyType::binary, 6}};
  const KeyFormat& f = formats[r.u8() % 5];
  std::string text = r.bytes(48);
  KeyBuf a, b;
  if (!parse_key_text(f, text, a)) return;
  if (!f.valid_size(a.view().size)) __builtin_trap();
  std::string shown = format_key_text(f, a.view());
  if (!parse_key_text(f, shown, b) || !(a.view() == b.view())) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader r{data, size};
  check_text_key(r);

  StickRegistry reg({"lb1", "i1", 1024});
  StickNow now{4294960000u, 1'800'000'000'000'000};  // just before the tick wrap
  std::vector<std::shared_ptr<StickTable>> tables = {
      *reg.install(def("stick-table type ip size 8 expire 1s peers p store server_id,gpc0,http_req_rate(100ms)", "a"),
                   1, now),
      *reg.install(def("stick-table type string len 6 size 4 peers p store conn_cur,bytes_in_cnt", "b"), 2, now),
      *reg.install(def("stick-table type integer size 3 expire 50ms nopurge peers p store gpc0,gpc0_rate(10ms)", "c"),
                   3, now),
  };
  while (r.n > 0) {
    StickTable& t = *tables[r.u8() % tables.size()];
    std::string key = r.bytes(8);
    std::vector<IncomingDatum> datums(r.u8() % 4);
    for (IncomingDatum& d : datums) {
      d.type = static_cast<DataType>(r.u8() % (kDataTypeCount + 2));  // a few out of range
      d.value = r.u64();
      d.has_rate = r.u8() & 1;
      d.period_ms = static_cast<std::uint32_t>(r.u64());
      d.rate = RateState{static_cast<std::uint32_t>(r.u64()), static_cast<std::uint32_t>(r.u64()),
                         static_cast<std::uint32_t>(r.u64())};
    }
    std::string server = r.bytes(4), origin = r.bytes(3);
    IncomingEntry in;
    in.key = KeyView{reinterpret_cast<const std::uint8_t*>(key.data()), static_cast<std::uint32_t>(key.size())};
    in.server_name = server;
    in.data = datums;
    in.expire_in_ms = static_cast<std::int64_t>(r.u64());
    in.origin_node = origin;
    in.origin_us = static_cast<std::int64_t>(r.u64() >> (r.u8() % 64));
    in.deleted = r.u8() % 4 == 0;
    switch (r.u8() % 4) {
      case 0:
        (void)reg.apply(t, in, now);
        break;
      case 1:
        if (t.key_format().valid_size(in.key.size)) (void)t.set_values(in.key, server, datums, now);
        break;
      case 2: {
        StickRef ref = t.track(in.key, now);
        t.count(ref, StickEvent::bytes_in, r.u64(), now);
        if (r.u8() & 1) t.untrack(ref, now);
        break;
      }
      case 3:
        (void)t.erase(in.key, now);
        break;
    }
    now.tick_ms += r.u8() * 4u;
    now.wall_us += r.u8();
    if (r.u8() % 8 == 0) reg.maintain(now, 4);
    for (const auto& x : tables)
      if (x->entries() > x->def().size) __builtin_trap();
  }
  reg.collect();
  return 0;
}
