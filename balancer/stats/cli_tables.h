#pragma once
// The runtime API's stick-table commands, in HAProxy's words and layout:
// `show table [NAME [key K | data.TYPE OP V ...]]`, `clear table NAME [key K]`
// and `set table NAME key K [data.TYPE V]...`.

#include <string>
#include <string_view>
#include <vector>

#include "balancer/runtime/runtime.h"
#include "balancer/stick/stick_registry.h"

namespace tandem::balancer::stats {

// `args`: the words after "show table" / "clear table" / "set table".
// `entries`: the socket's level lets it read and clear entries (operator or
// admin, as HAProxy). Below that `show table T` gives the header only, and a
// `key` lookup or removal is refused; `clear table T` clears nothing.
std::string cli_show_table(runtime::Runtime& rt, stick::StickRegistry& reg, const std::vector<std::string_view>& args,
                           bool entries = true);
std::string cli_clear_table(runtime::Runtime& rt, stick::StickRegistry& reg, const std::vector<std::string_view>& args,
                            bool entries = true);
std::string cli_set_table(runtime::Runtime& rt, stick::StickRegistry& reg, const std::vector<std::string_view>& args);

// A table's key type in HAProxy's words ("ip", "ipv6", "integer", "string", "binary").
std::string_view table_key_type(const stick::TableDef& d);

}  // namespace tandem::balancer::stats
