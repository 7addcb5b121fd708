#include <charconv>

#include "balancer/stats/field_descs.h"
#include "balancer/stats/field_types.h"
#include "balancer/stats/show_info.h"
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

std::string_view obj_type_name(ObjType t) {
  switch (t) {
    case ObjType::frontend: return "Frontend";
    case ObjType::backend: return "Backend";
    case ObjType::server: return "Server";
  }
  return "";
}

char obj_letter(ObjType t) {
  return t == ObjType::frontend ? 'F' : t == ObjType::backend ? 'B' : 'S';
}

const FieldType& field_type(Col c) { return kFieldTypes[static_cast<unsigned>(c)]; }
std::string_view tags_of(ObjType t, Col c) {
  return t == ObjType::backend ? field_type(c).backend_tags : field_type(c).tags;
}
std::string_view type_of(ObjType t, Col c) {
  return t == ObjType::backend ? field_type(c).backend_type : field_type(c).type;
}

// Typed positions skip the "-" separator column, as HAProxy's do.
unsigned typed_pos(unsigned i) { return i > static_cast<unsigned>(Col::sep) ? i - 1 : i; }

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
      Col c = static_cast<Col>(i);
      if (v.empty() || c == Col::sep) continue;
      out += first ? "\n" : ",\n";
      first = false;
      append(out, "{\"objType\":\"", obj_type_name(r.type), "\",\"proxyId\":", iid, ",\"id\":", sid,
             ",\"field\":{\"pos\":", typed_pos(i), ",\"name\":\"", kColumnNames[i], "\"},\"processNum\":1,");
      append_json_tags(out, tags_of(r.type, c));
      append(out, ",\"value\":{\"type\":\"", type_of(r.type, c), "\",\"value\":");
      if (v.kind == Value::Kind::str) append_json_string(out, v.str);
      else out += v.text();
      out += "}}";
    }
    out += "\n]";
  }
  out += "\n]\n";
  return out;
}

std::string render_typed(const std::vector<StatRow>& rows, bool desc) {
  std::string out;
  for (const StatRow& r : rows) {
    std::uint64_t iid = r.num(Col::iid), sid = r.num(Col::sid);
    for (unsigned i = 0; i < r.v.size(); ++i) {
      const Value& v = r.v[i];
      Col c = static_cast<Col>(i);
      if (v.empty() || c == Col::sep) continue;
      append(out, obj_letter(r.type), '.', iid, '.', sid, '.', typed_pos(i), '.', kColumnNames[i], ".1:",
             tags_of(r.type, c), ':', type_of(r.type, c), ':', v.text());
      if (desc) append(out, ":\"", kColumnDescs[i], '"');
      out += '\n';
    }
  }
  return out;
}

}  // namespace tandem::balancer::stats
