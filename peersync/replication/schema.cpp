#include "peersync/replication/schema.h"

#include <map>

#include "common/strings.h"

namespace tandem::peersync {

namespace {

// tandem.balancer.v1.KeyType and DataType names, by number.
std::string key_name(int k) {
  static const char* const names[] = {"unspecified", "ip", "ipv6", "integer", "string", "binary"};
  return k >= 0 && k < 6 ? names[k] : cat("key#", k);
}

std::string data_name(int d) {
  static const char* const names[] = {"unspecified",   "server_id",     "gpc0",          "gpc0_rate",
                                      "gpc1",          "gpc1_rate",     "conn_cnt",      "conn_cur",
                                      "conn_rate",     "sess_cnt",      "sess_rate",     "http_req_cnt",
                                      "http_req_rate", "http_err_cnt",  "http_err_rate", "bytes_in_cnt",
                                      "bytes_in_rate", "bytes_out_cnt", "bytes_out_rate"};
  return d >= 0 && d < 19 ? names[d] : cat("data#", d);
}

bool same(const TableSchema& a, const TableSchema& b) {
  return a.key_type == b.key_type && a.key_len == b.key_len && a.data == b.data;
}

}  // namespace

std::string describe(const TableSchema& t) {
  std::string s = cat("type ", key_name(t.key_type));
  if (t.key_len) s += cat(" len ", t.key_len);
  if (!t.data.empty()) {
    s += " store ";
    for (size_t i = 0; i < t.data.size(); ++i) {
      if (i) s += ',';
      s += data_name(t.data[i].type);
      if (t.data[i].period_ms) s += cat("(", t.data[i].period_ms, "ms)");
    }
  }
  return s;
}

std::vector<SchemaMismatch> compare_schemas(const std::vector<TableSchema>& local,
                                            const std::vector<TableSchema>& remote) {
  std::map<std::string, std::pair<const TableSchema*, const TableSchema*>> by_name;
  for (const auto& t : local) by_name[t.name].first = &t;
  for (const auto& t : remote) by_name[t.name].second = &t;
  std::vector<SchemaMismatch> out;
  for (const auto& [name, pair] : by_name) {
    auto [l, r] = pair;
    if (l && r && same(*l, *r)) continue;
    out.push_back({name, l ? describe(*l) : "missing", r ? describe(*r) : "missing"});
  }
  return out;
}

}  // namespace tandem::peersync
