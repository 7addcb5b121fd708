#include "balancer/stats/cli_tables.h"

#include <algorithm>
#include <array>

#include "balancer/stick/entry_image.h"
#include "balancer/stick/stick_key.h"
#include "balancer/stick/stick_table.h"
#include "balancer/stick/stick_time.h"
#include "common/strings.h"

namespace tandem::balancer::stats {

using namespace tandem::balancer::stick;

namespace {

std::string table_header(const StickTable& t) {
  return cat("# table: ", t.name(), ", type: ", table_key_type(t.def()), ", size:", t.def().size, ", used:", t.entries(),
             "\n");
}

struct Filter {
  DataType type;
  enum class Op { eq, ne, lt, le, gt, ge } op;
  std::int64_t value;
};

std::uint32_t server_id(const runtime::Runtime& rt, const EntryImage& e);

std::int64_t value_of(const runtime::Runtime& rt, const ImageBatch& b, const EntryImage& e, DataType type) {
  if (type == DataType::server_id) return server_id(rt, e);
  for (const DatumImage& d : b.datums(e))
    if (d.type == type) return static_cast<std::int64_t>(d.value);
  return 0;
}

bool pass(const Filter& f, std::int64_t v) {
  switch (f.op) {
    case Filter::Op::eq: return v == f.value;
    case Filter::Op::ne: return v != f.value;
    case Filter::Op::lt: return v < f.value;
    case Filter::Op::le: return v <= f.value;
    case Filter::Op::gt: return v > f.value;
    case Filter::Op::ge: return v >= f.value;
  }
  return false;
}

// One entry as HAProxy prints it: "0x...: key=K use=N exp=MS TYPE=V ...".
// A server's `id` as HAProxy's server_id shows it: the table keeps servers by
// name; the id is the one the table's backend gives that name.
std::uint32_t server_id(const runtime::Runtime& rt, const EntryImage& e) {
  if (!e.server) return 0;
  if (std::uint32_t id = e.table->server(e.server).id) return id;
  if (runtime::Backend* be = rt.find_backend(e.table->name()))
    if (runtime::Server* s = be->find_server(e.table->server_name(e.server))) return s->id();
  return 0;
}

// HAProxy prints an entry's data in the order of its own data-type numbers,
// whatever the order of `store`; scripts that compare dumps rely on it.
int haproxy_rank(DataType t) {
  switch (t) {
    case DataType::server_id: return 0;
    case DataType::gpc0: return 2;  // (1 is gpt0)
    case DataType::gpc0_rate: return 3;
    case DataType::conn_cnt: return 4;
    case DataType::conn_rate: return 5;
    case DataType::conn_cur: return 6;
    case DataType::sess_cnt: return 7;
    case DataType::sess_rate: return 8;
    case DataType::http_req_cnt: return 9;
    case DataType::http_req_rate: return 10;
    case DataType::http_err_cnt: return 11;
    case DataType::http_err_rate: return 12;
    case DataType::bytes_in_cnt: return 13;
    case DataType::bytes_in_rate: return 14;
    case DataType::bytes_out_cnt: return 15;
    case DataType::bytes_out_rate: return 16;
    case DataType::gpc1: return 17;
    case DataType::gpc1_rate: return 18;
  }
  return 99;
}

void entry_line(std::string& out, const runtime::Runtime& rt, const ImageBatch& b, const EntryImage& e) {
  // HAProxy prints the entry's address; Tandem an id of the key (FNV-1a),
  // stable across calls so that two dumps can be compared.
  KeyView key = b.key(e);
  std::uint64_t h = 1469598103934665603ull;
  for (std::uint32_t i = 0; i < key.size; ++i) h = (h ^ key.data[i]) * 1099511628211ull;
  char id[32];
  std::snprintf(id, sizeof id, "0x%012llx", static_cast<unsigned long long>(h & 0xffffffffffffull));
  append(out, id, ": key=", format_key_text(e.table->key_format(), key), " use=", e.refs, " exp=", e.expire_in_ms);
  if (e.table->def().stores(DataType::server_id)) append(out, " server_id=", server_id(rt, e));
  std::array<const DatumImage*, kDataTypeCount> data{};
  std::size_t n = 0;
  for (const DatumImage& d : b.datums(e))
    if (d.type != DataType::server_id && n < data.size()) data[n++] = &d;
  std::sort(data.begin(), data.begin() + n,
            [](const DatumImage* a, const DatumImage* z) { return haproxy_rank(a->type) < haproxy_rank(z->type); });
  for (std::size_t i = 0; i < n; ++i) {
    const DatumImage& d = *data[i];
    append(out, ' ', data_type_name(d.type));
    if (is_rate(d.type)) append(out, '(', d.period_ms, ')');
    append(out, '=', d.value);
  }
  out += '\n';
}

StickNow now() { return stick_now(SystemClock::instance()); }

}  // namespace

std::string_view table_key_type(const TableDef& d) {
  switch (d.key_type) {
    case KeyType::ip: return "ip";
    case KeyType::ipv6: return "ipv6";
    case KeyType::integer: return "integer";
    case KeyType::string: return "string";
    case KeyType::binary: return "binary";
  }
  return "?";
}

std::string cli_show_table(runtime::Runtime& rt, StickRegistry& reg, const std::vector<std::string_view>& args,
                           bool entries) {
  if (args.empty()) {
    std::string out;
    for (const std::string& n : rt.table_names())
      if (auto t = reg.find(n)) out += table_header(*t);
    return out;
  }
  auto t = reg.find(args[0]);
  if (!t) return "No such table\n";
  std::vector<Filter> filters;
  std::optional<KeyBuf> key;
  for (size_t i = 1; i < args.size();) {
    if (args[i] == "key") {
      if (i + 1 >= args.size()) return "Key value expected\n";
      KeyBuf k;
      if (auto r = parse_key_text(t->key_format(), args[i + 1], k); !r) return cat("Invalid key: ", r.error().message, "\n");
      key = k;
      i += 2;
    } else if (args[i].starts_with("data.")) {
      std::string n = cat("Filter entry #", filters.size() + 1, ": ");
      auto type = data_type_by_name(args[i].substr(5));
      if (!type) return n + "Unknown data type\n";
      if (!t->def().stores(*type)) return n + "Data type not stored in this table\n";
      if (i + 2 >= args.size()) return n + "Require a valid filter operator and value\n";
      static constexpr std::pair<std::string_view, Filter::Op> ops[] = {
          {"eq", Filter::Op::eq}, {"ne", Filter::Op::ne}, {"lt", Filter::Op::lt},
          {"le", Filter::Op::le}, {"gt", Filter::Op::gt}, {"ge", Filter::Op::ge}};
      std::optional<Filter::Op> op;
      for (const auto& [name, o] : ops)
        if (args[i + 1] == name) op = o;
      long long v = 0;
      if (!op || !parse_int(args[i + 2], v)) return n + "Require a valid filter operator and value\n";
      filters.push_back(Filter{*type, *op, v});
      i += 3;
    } else {
      return "Optional argument only supports \"data.<store_data_type>\" <operator> <value> and key <key>\n";
    }
  }
  if (!entries && key) return "Permission denied\n";
  std::string out = table_header(*t);
  if (!entries) return out + "# contents not dumped due to insufficient privileges\n";
  StickNow n = now();
  ImageBatch batch;
  auto emit = [&] {
    for (const EntryImage& e : batch.entries) {
      bool ok = true;
      for (const Filter& f : filters) ok = ok && pass(f, value_of(rt, batch, e, f.type));
      if (ok) entry_line(out, rt, batch, e);
    }
    batch.clear();
  };
  std::uint64_t head = reg.log().head();
  if (key) {
    t->image_of_key(key->view(), n, head, batch);
    emit();
    return out;
  }
  StickTable::ScanPos pos;
  while (!t->scan_done(pos)) {
    t->scan(pos, 1024, n, head, batch);
    emit();
  }
  return out;
}

std::string cli_clear_table(runtime::Runtime&, StickRegistry& reg, const std::vector<std::string_view>& args,
                            bool entries) {
  if (args.empty()) return "Missing table name.\n";
  auto t = reg.find(args[0]);
  if (!t) return "No such table\n";
  if (args.size() == 1) {
    if (entries) t->clear(now());
    return "";
  }
  if (args[1] != "key" || args.size() != 3) return "Optional argument only supports \"key\" <key>\n";
  KeyBuf k;
  if (auto r = parse_key_text(t->key_format(), args[2], k); !r) return cat("Invalid key: ", r.error().message, "\n");
  if (!entries) return "Permission denied\n";
  t->erase(k.view(), now());
  return "";
}

std::string cli_set_table(runtime::Runtime& rt, StickRegistry& reg, const std::vector<std::string_view>& args) {
  if (args.empty()) return "Missing table name.\n";
  auto t = reg.find(args[0]);
  if (!t) return "No such table\n";
  if (args.size() < 3 || args[1] != "key") return "Key value expected\n";
  KeyBuf k;
  if (auto r = parse_key_text(t->key_format(), args[2], k); !r) return cat("Invalid key: ", r.error().message, "\n");
  std::vector<IncomingDatum> data;
  std::string server;
  for (size_t i = 3; i < args.size(); i += 2) {
    if (!args[i].starts_with("data.")) return "\"data.<type>\" followed by a value expected\n";
    auto type = data_type_by_name(args[i].substr(5));
    if (!type) return "Unknown data type\n";
    if (!t->def().stores(*type)) return "Data type not stored in this table\n";
    if (i + 1 >= args.size()) return "Require a valid integer value to store\n";
    long long v = 0;
    if (!parse_int(args[i + 1], v) || v < 0) return "Require a valid integer value to store\n";
    if (*type == DataType::server_id) {
      // The server with that id in the table's proxy (HAProxy's server_id is
      // the server's `id`); the table keeps it by name.
      runtime::Backend* be = rt.find_backend(t->name());
      const runtime::Server* found = nullptr;
      if (be)
        for (const auto& s : be->servers())
          if (s->id() == static_cast<std::uint32_t>(v)) found = s.get();
      if (!found) return cat("No server with id ", v, " in backend '", t->name(), "'\n");
      server = found->name();
      continue;
    }
    if (is_rate(*type)) return "Rates cannot be set (they count events)\n";
    IncomingDatum d;
    d.type = *type;
    d.value = static_cast<std::uint64_t>(v);
    data.push_back(d);
  }
  if (auto r = t->set_values(k.view(), server, data, now()); !r) return r.error().message + "\n";
  return "";
}

}  // namespace tandem::balancer::stats
