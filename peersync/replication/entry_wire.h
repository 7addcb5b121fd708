#pragma once
// Reads what replication needs from one serialized tandem.balancer.v1.StickEntry
// without parsing it into a message. peersync forwards entries as the bytes
// the balancer wrote (Watch -> Replicate -> Apply): parsing and re-serializing
// every entry twice on each node was most of a resync's cost in peersync.
//
// The scan is also the check a peer's entries pass before they reach the
// balancer: every field well formed (tags, varints, lengths inside the
// entry, the key and data messages too), `string` fields valid UTF-8 (the
// balancer's proto3 parser refuses a whole batch otherwise), no groups.
// Unknown fields are skipped, as a parser would. Pure, no protobuf.

#include <cstddef>
#include <string_view>

#include "common/error.h"

namespace tandem::peersync {

struct EntryFields {
  std::string_view table;        // field 1
  std::string_view origin_node;  // field 6
  std::size_t key_bytes = 0;     // the key's value (ip, str, binary; 8 for an integer)
  bool has_key = false;
};

Result<EntryFields> scan_entry(std::string_view wire);

// The table name alone (field 1), for counting a trusted batch's entries per
// table: the first occurrence; empty when absent or malformed.
std::string_view entry_table(std::string_view wire);

bool valid_utf8(std::string_view s);

}  // namespace tandem::peersync
