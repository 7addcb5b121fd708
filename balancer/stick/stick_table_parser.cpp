#include "balancer/stick/stick_table_parser.h"

#include <string_view>

#include "common/config/units.h"
#include "common/strings.h"

namespace tandem::balancer::stick {

namespace {

using tandem::config::Line;

class Parser {
 public:
  Parser(const Line& line, TableDef& def) : line_(line), def_(def) {}

  Result<void> run() {
    if (line_.words.size() < 2) return error("missing arguments (type and size are required)");
    bool have_type = false, have_size = false, have_expire = false, have_peers = false, have_nopurge = false;
    for (i_ = 1; i_ < line_.words.size();) {
      const std::string& w = line_.words[i_++];
      if (w == "type") {
        if (have_type) return error("'type' given twice");
        have_type = true;
        if (auto r = parse_type(); !r) return r;
      } else if (w == "len") {
        return error("'len' must follow 'type string' or 'type binary'");
      } else if (w == "size") {
        if (have_size) return error("'size' given twice");
        have_size = true;
        if (auto r = parse_size(); !r) return r;
      } else if (w == "expire") {
        if (have_expire) return error("'expire' given twice");
        have_expire = true;
        auto v = arg(w);
        if (!v) return std::unexpected(v.error());
        auto ms = tandem::config::parse_time_ms(**v);
        if (!ms) return error(cat("expire: ", ms.error().message));
        def_.expire_ms = static_cast<std::uint32_t>(ms->count());
      } else if (w == "nopurge") {
        if (have_nopurge) return error("'nopurge' given twice");
        have_nopurge = def_.nopurge = true;
      } else if (w == "peers") {
        if (have_peers) return error("'peers' given twice");
        have_peers = true;
        auto v = arg(w);
        if (!v) return std::unexpected(v.error());
        def_.peers = **v;
      } else if (w == "srvkey") {
        auto v = arg(w);
        if (!v) return std::unexpected(v.error());
        // Entries always name their server (that is what replication carries);
        // HAProxy's `srvkey addr` is not supported.
        if (**v != "name") return error(cat("srvkey '", **v, "' is not supported (only 'name')"));
      } else if (w == "store") {
        auto v = arg(w);
        if (!v) return std::unexpected(v.error());
        if (auto r = parse_store(**v); !r) return r;
      } else {
        return error(cat("unknown argument '", w, "'"));
      }
    }
    if (!have_type) return error("missing 'type'");
    if (!have_size) return error("missing 'size'");
    return {};
  }

 private:
  std::unexpected<Error> error(std::string_view what) const {
    return fail(tandem::config::at(line_, cat(line_.words[0], ": ", what)));
  }

  // The word after keyword `kw`.
  Result<const std::string*> arg(std::string_view kw) {
    if (i_ >= line_.words.size()) return error(cat("missing value after '", kw, "'"));
    return &line_.words[i_++];
  }

  Result<void> parse_type() {
    auto v = arg("type");
    if (!v) return std::unexpected(v.error());
    const std::string& t = **v;
    if (t == "ip")
      def_.key_type = KeyType::ip, def_.key_len = 4;
    else if (t == "ipv6")
      def_.key_type = KeyType::ipv6, def_.key_len = 16;
    else if (t == "integer")
      def_.key_type = KeyType::integer, def_.key_len = 4;
    else if (t == "string")
      def_.key_type = KeyType::string, def_.key_len = kDefaultKeyLen;
    else if (t == "binary")
      def_.key_type = KeyType::binary, def_.key_len = kDefaultKeyLen;
    else
      return error(cat("unknown type '", t, "' (ip, ipv6, integer, string, binary)"));
    if ((def_.key_type == KeyType::string || def_.key_type == KeyType::binary) && i_ < line_.words.size() &&
        line_.words[i_] == "len") {
      ++i_;
      auto n = arg("len");
      if (!n) return std::unexpected(n.error());
      unsigned long long len = 0;
      if (!parse_uint(**n, len) || len < 1 || len > kMaxKeyLen)
        return error(cat("len '", **n, "' is not a number in 1..", kMaxKeyLen));
      def_.key_len = static_cast<std::uint32_t>(len);
    }
    return {};
  }

  Result<void> parse_size() {
    auto v = arg("size");
    if (!v) return std::unexpected(v.error());
    auto n = tandem::config::parse_size(**v);
    if (!n) return error(cat("size: ", n.error().message));
    if (*n < 1 || *n > kMaxTableSize) return error(cat("size '", **v, "' is not in 1..", kMaxTableSize));
    def_.size = *n;
    return {};
  }

  // "a,b(P),c": HAProxy's comma-separated list; a period sits in parentheses.
  Result<void> parse_store(std::string_view list) {
    if (list.empty()) return error("store: empty list");
    while (true) {
      // Commas inside parentheses do not split (none are valid there, but
      // "conn_rate(1,2)" must report a bad period, not an unknown type "2)").
      size_t end = 0;
      int depth = 0;
      while (end < list.size() && (list[end] != ',' || depth > 0)) {
        if (list[end] == '(')
          ++depth;
        else if (list[end] == ')')
          --depth;
        ++end;
      }
      if (auto r = parse_store_item(list.substr(0, end)); !r) return r;
      if (end == list.size()) return {};
      list.remove_prefix(end + 1);
    }
  }

  Result<void> parse_store_item(std::string_view item) {
    if (item.empty()) return error("store: empty item in list");
    std::string_view name = item, period;
    bool has_period = false;
    if (auto open = item.find('('); open != std::string_view::npos) {
      if (item.back() != ')') return error(cat("store: missing ')' after '", item, "'"));
      name = item.substr(0, open);
      period = item.substr(open + 1, item.size() - open - 2);
      has_period = true;
    }
    auto type = data_type_by_name(name);
    if (!type) return error(cat("store: unknown data type '", name, "'"));
    if (def_.stores(*type)) return error(cat("store: '", name, "' is stored twice"));
    DataDef d{*type, 0};
    if (is_rate(*type)) {
      if (!has_period || period.empty()) return error(cat("store: '", name, "' needs a period, e.g. ", name, "(10s)"));
      auto ms = tandem::config::parse_time_ms(period);
      if (!ms) return error(cat("store: bad period for '", name, "': ", ms.error().message));
      if (ms->count() < 1) return error(cat("store: period of '", name, "' must be at least 1ms"));
      d.period_ms = static_cast<std::uint32_t>(ms->count());
    } else if (has_period) {
      return error(cat("store: '", name, "' takes no argument"));
    }
    def_.store.push_back(d);
    return {};
  }

  const Line& line_;
  TableDef& def_;
  size_t i_ = 1;
};

}  // namespace

Result<TableDef> parse_stick_table(const tandem::config::Line& line, std::string table_name) {
  TableDef def;
  def.name = std::move(table_name);
  def.file = line.file;
  def.line = line.number;
  if (line.words.empty()) return fail(tandem::config::at(line, "stick-table: empty line"));
  if (auto r = Parser(line, def).run(); !r) return std::unexpected(r.error());
  return def;
}

}  // namespace tandem::balancer::stick
