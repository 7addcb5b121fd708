#include "balancer/stick/entry_image.h"

#include <limits>

#include "common/strings.h"

namespace tandem::balancer::stick {

Result<void> validate_data(const TableDef& def, std::span<const IncomingDatum> data, bool need_rate_state) {
  std::uint32_t seen = 0;
  for (const IncomingDatum& d : data) {
    if (static_cast<std::size_t>(d.type) >= kDataTypeCount) return fail("unknown data type");
    const DataDef* stored = def.find(d.type);
    std::string_view name = data_type_name(d.type);
    if (!stored) return fail(cat("table '", def.name, "' does not store ", name));
    auto bit = 1u << static_cast<unsigned>(d.type);
    if (seen & bit) return fail(cat(name, " given twice"));
    seen |= bit;
    switch (data_type_info(d.type).kind) {
      case ValueKind::server:
        return fail("server_id is carried as a server name");
      case ValueKind::u32:
        if (d.value > std::numeric_limits<std::uint32_t>::max())
          return fail(cat(name, " ", d.value, " is out of range (32 bits)"));
        break;
      case ValueKind::u64:
        break;
      case ValueKind::rate:
        if (d.has_rate) {
          if (d.period_ms != stored->period_ms)
            return fail(cat(name, " has period ", d.period_ms, "ms, the table's is ", stored->period_ms, "ms"));
        } else if (need_rate_state) {
          return fail(cat(name, " without its counter state"));
        } else if (d.value > std::numeric_limits<std::uint32_t>::max()) {
          return fail(cat(name, " ", d.value, " is out of range (32 bits)"));
        }
        break;
    }
  }
  return {};
}

Result<void> validate_incoming(const TableDef& def, const IncomingEntry& in) {
  KeyFormat f = KeyFormat::of(def);
  if (!f.valid_size(in.key.size))
    return fail(cat("key of ", in.key.size, " bytes for table '", def.name, "' (", key_type_name(def.key_type),
                    f.type == KeyType::string ? " of at most " : " of ", f.len, " bytes)"));
  if (in.origin_node.empty()) return fail("entry without an origin node");
  if (in.origin_node.size() > kMaxNameLen) return fail("origin node name too long");
  if (in.origin_us < 0) return fail("negative origin time");
  if (in.deleted) return {};
  if (in.server_name.size() > kMaxNameLen) return fail("server name too long");
  if (!in.server_name.empty() && !def.stores(DataType::server_id))
    return fail(cat("table '", def.name, "' does not store server_id"));
  if (in.expire_in_ms < 0) return fail("negative expiry");
  return validate_data(def, in.data, true);
}

}  // namespace tandem::balancer::stick
