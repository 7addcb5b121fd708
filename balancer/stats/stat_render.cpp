#include <charconv>

#include "balancer/stats/stat_rows.h"
#include "common/strings.h"

namespace tandem::balancer::stats {

std::string Value::text() const {
  switch (kind) {
    case Kind::empty: return {};
    case Kind::u64: return std::to_string(u);
    case Kind::s64: return std::to_string(s);
    case Kind::str: return str;
  }
  return {};
}

namespace {

// CSV cells: HAProxy writes strings as they are, except that a cell holding
// a comma, quote or line break is quoted (RFC 4180) so the columns stay put.
void csv_cell(std::string& out, const Value& v) {
  if (v.kind != Value::Kind::str) {
    out += v.text();
    return;
  }
  if (v.str.find_first_of(",\"\r\n") == std::string::npos) {
    out += v.str;
    return;
  }
  out += '"';
  for (char c : v.str) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string_view obj_type_name(ObjType t) {
  switch (t) {
    case ObjType::frontend: return "Frontend";
    case ObjType::backend: return "Backend";
    case ObjType::server: return "Server";
  }
  return "";
}

}  // namespace

std::string csv_header() {
  std::string out = "# ";
  for (std::string_view n : kColumnNames) append(out, n, ',');
  out += '\n';
  return out;
}

std::string render_csv(const std::vector<StatRow>& rows) {
  std::string out = csv_header();
  for (const StatRow& r : rows) {
    for (const Value& v : r.v) {
      csv_cell(out, v);
      out += ',';
    }
    out += '\n';
  }
  return out;
}

std::string render_json(const std::vector<StatRow>& rows) {
  std::string out = "[";
  bool first_row = true;
  for (const StatRow& r : rows) {
    out += first_row ? "\n[" : ",\n[";
    first_row = false;
    bool first = true;
    std::uint64_t iid = r.num(Col::iid), sid = r.num(Col::sid);
    for (unsigned i = 0; i < r.v.size(); ++i) {
      const Value& v = r.v[i];
      if (v.empty() || static_cast<Col>(i) == Col::sep) continue;
      // typed positions skip the "-" separator column, as HAProxy's do
      unsigned pos = i > static_cast<unsigned>(Col::sep) ? i - 1 : i;
      out += first ? "\n" : ",\n";
      first = false;
      append(out, "{\"objType\":\"", obj_type_name(r.type), "\",\"proxyId\":", iid, ",\"id\":", sid,
             ",\"field\":{\"pos\":", pos, ",\"name\":\"", kColumnNames[i], "\"},\"processNum\":1,\"value\":{\"type\":\"");
      switch (v.kind) {
        case Value::Kind::u64: append(out, "u64\",\"value\":", v.u); break;
        case Value::Kind::s64: append(out, "s64\",\"value\":", v.s); break;
        default:
          out += "str\",\"value\":";
          json_string(out, v.str);
          break;
      }
      out += "}}";
    }
    out += "\n]";
  }
  out += "\n]\n";
  return out;
}

}  // namespace tandem::balancer::stats
