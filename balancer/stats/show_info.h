#pragma once
// `show info` fields: the process's name, version, uptime, connection counts
// and rates, each with HAProxy 2.6's position, tags and type so that
// `show info typed` and `show info json` read as HAProxy's (the fields
// Tandem has no meaning for, such as pools, pipes or SSL caches, are left
// out rather than printed as zeros).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::balancer::stats {

class StatsSource;

struct InfoField {
  unsigned pos = 0;
  std::string_view name;
  std::string_view tags;  // ORIGIN NATURE SCOPE letters, as in field_types.h
  std::string_view type;  // u32, u64, str
  std::string_view desc;  // HAProxy 2.6's description (`show info desc`)
  std::string value;
};

std::vector<InfoField> info_fields(const StatsSource& src);

// "Name: value" lines; with `desc`, each followed by :"description".
std::string render_info(const std::vector<InfoField>& fields, bool desc = false);
// "POS.NAME.1:TAGS:TYPE:VALUE" lines; `desc` as above.
std::string render_info_typed(const std::vector<InfoField>& fields, bool desc = false);
// [{"field":{"pos":..,"name":..},"processNum":1,"tags":{..},"value":{"type":..,"value":..}}, ...]
std::string render_info_json(const std::vector<InfoField>& fields);

// The tags' words in HAProxy's JSON ("origin":"Metric","nature":"Gauge","scope":"Process").
void append_json_tags(std::string& out, std::string_view tags);
// A JSON string literal.
void append_json_string(std::string& out, std::string_view s);

}  // namespace tandem::balancer::stats
