#pragma once
// `stick-table` lines in HAProxy's language -> TableDef.
//
//   stick-table type ip|ipv6|integer|string [len N]|binary [len N] size N
//               [expire T] [nopurge] [peers NAME] [srvkey name] [store D,D(P),...]...
//
// Errors read "FILE:LINE: stick-table: what is wrong" and name the offending
// word. Where HAProxy only warns (a data type stored twice, a keyword given
// twice) this is an error: nothing is ignored silently.

#include <string>

#include "balancer/stick/stick_types.h"
#include "common/config/lexer.h"
#include "common/error.h"

namespace tandem::balancer::stick {

// Parses `line`, whose first word is the keyword (`stick-table`, or `table
// NAME` lines of a peers section when the caller strips the name), for the
// table called `table_name` (the declaring proxy's name).
Result<TableDef> parse_stick_table(const tandem::config::Line& line, std::string table_name);

}  // namespace tandem::balancer::stick
