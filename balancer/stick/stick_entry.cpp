#include "balancer/stick/stick_entry.h"

namespace tandem::balancer::stick {

namespace {
std::uint32_t value_size(ValueKind k) {
  switch (k) {
    case ValueKind::u32:
      return 4;
    case ValueKind::u64:
      return 8;
    case ValueKind::rate:
      return sizeof(FreqCtr);
    case ValueKind::server:
      return sizeof(ServerRef);
  }
  return 0;
}
}  // namespace

EntryLayout EntryLayout::make(const TableDef& def) {
  EntryLayout l;
  l.off.fill(-1);
  l.key_off = sizeof(EntryHeader);
  l.key_has_len = def.key_type == KeyType::string;
  l.key_len = def.key_len;
  std::uint32_t at = l.key_off + (l.key_has_len ? 2 : 0) + def.key_len;
  at = (at + 3) & ~3u;
  l.data_off = static_cast<std::uint16_t>(at);
  // Values are accessed with memcpy, so 4-byte alignment suffices even for
  // the 64-bit counters; declaration order is kept.
  for (const DataDef& d : def.store) {
    auto i = static_cast<std::size_t>(d.type);
    l.off[i] = static_cast<std::int16_t>(at);
    l.period[i] = d.period_ms;
    at += value_size(data_type_info(d.type).kind);
  }
  l.size = (at + 3) & ~3u;
  return l;
}

}  // namespace tandem::balancer::stick
