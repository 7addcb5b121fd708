#include "balancer/stick/stick_types.h"

namespace tandem::balancer::stick {

namespace {
// Indexed by DataType.
constexpr std::array<DataTypeInfo, kDataTypeCount> kInfo{{
    {"server_id", ValueKind::server},
    {"gpc0", ValueKind::u32},
    {"gpc0_rate", ValueKind::rate},
    {"gpc1", ValueKind::u32},
    {"gpc1_rate", ValueKind::rate},
    {"conn_cnt", ValueKind::u32},
    {"conn_cur", ValueKind::u32},
    {"conn_rate", ValueKind::rate},
    {"sess_cnt", ValueKind::u32},
    {"sess_rate", ValueKind::rate},
    {"http_req_cnt", ValueKind::u32},
    {"http_req_rate", ValueKind::rate},
    {"http_err_cnt", ValueKind::u32},
    {"http_err_rate", ValueKind::rate},
    {"bytes_in_cnt", ValueKind::u64},
    {"bytes_in_rate", ValueKind::rate},
    {"bytes_out_cnt", ValueKind::u64},
    {"bytes_out_rate", ValueKind::rate},
}};
}  // namespace

const DataTypeInfo& data_type_info(DataType type) { return kInfo[static_cast<std::size_t>(type)]; }

std::optional<DataType> data_type_by_name(std::string_view name) {
  for (std::size_t i = 0; i < kInfo.size(); ++i)
    if (kInfo[i].name == name) return static_cast<DataType>(i);
  return std::nullopt;
}

std::string_view key_type_name(KeyType type) {
  switch (type) {
    case KeyType::ip:
      return "ip";
    case KeyType::ipv6:
      return "ipv6";
    case KeyType::integer:
      return "integer";
    case KeyType::string:
      return "string";
    case KeyType::binary:
      return "binary";
  }
  return "?";
}

const DataDef* TableDef::find(DataType type) const {
  for (const DataDef& d : store)
    if (d.type == type) return &d;
  return nullptr;
}

void TableDef::ensure_stored(DataType type) {
  if (!stores(type)) store.push_back(DataDef{type, 0});
}

}  // namespace tandem::balancer::stick
