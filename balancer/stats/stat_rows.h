#pragma once
// One snapshot of the statistics, as rows of HAProxy's columns: a row per
// frontend, per server and per backend, in HAProxy's order (each proxy's
// FRONTEND, then its servers, then its BACKEND). CSV, JSON, the HTML page,
// the runtime API and the Prometheus exporter all render these rows, so they
// never disagree.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "balancer/stats/columns.h"

namespace tandem::balancer::runtime {
class Server;
}

namespace tandem::balancer::stats {

struct Value {
  enum class Kind : std::uint8_t { empty, u64, s64, str };
  Kind kind = Kind::empty;
  std::uint64_t u = 0;
  std::int64_t s = 0;
  std::string str;

  bool empty() const { return kind == Kind::empty; }
  std::string text() const;  // as the CSV shows it ("" when empty)
};

enum class ObjType : std::uint8_t { frontend, backend, server };

// How the page colours a server (HAProxy's legend).
enum class Look : std::uint8_t { active_up, active_going_down, active_down, active_going_up, active_nolb, active_drain,
                                 active_maint, backup_up, backup_down, no_check, frontend_open, backend_up,
                                 backend_down };

struct StatRow {
  ObjType type = ObjType::frontend;
  Look look = Look::frontend_open;
  std::array<Value, static_cast<unsigned>(Col::count_)> v;
  runtime::Server* server = nullptr;  // server rows: for admin actions

  const Value& operator[](Col c) const { return v[static_cast<unsigned>(c)]; }
  void set(Col c, std::uint64_t n) {
    Value& x = v[static_cast<unsigned>(c)];
    x.kind = Value::Kind::u64;
    x.u = n;
  }
  void set_signed(Col c, std::int64_t n) {
    Value& x = v[static_cast<unsigned>(c)];
    x.kind = Value::Kind::s64;
    x.s = n;
  }
  void set(Col c, std::string s) {
    Value& x = v[static_cast<unsigned>(c)];
    x.kind = Value::Kind::str;
    x.str = std::move(s);
  }
  std::uint64_t num(Col c) const {
    const Value& x = (*this)[c];
    return x.kind == Value::Kind::u64 ? x.u : x.kind == Value::Kind::s64 && x.s > 0 ? static_cast<std::uint64_t>(x.s) : 0;
  }
  const std::string& str(Col c) const { return (*this)[c].str; }
};

// "show stat" / ";csv": the "# pxname,svname,..." header line and one line per row.
std::string render_csv(const std::vector<StatRow>& rows);
std::string csv_header();
// ";json" / "show stat json": HAProxy's typed JSON (an array per row of
// {objType, proxyId, id, field{pos,name}, processNum, value{type,value}}).
std::string render_json(const std::vector<StatRow>& rows);
// "show stat typed": a line per non-empty field,
// "F|B|S.IID.SID.POS.NAME.1:TAGS:TYPE:VALUE" (tags and types: field_types.h).
// With `desc` (`show stat typed desc`), each line ends with :"description".
std::string render_typed(const std::vector<StatRow>& rows, bool desc = false);

}  // namespace tandem::balancer::stats
