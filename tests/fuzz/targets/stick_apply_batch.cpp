// An ApplyBatch as peersync would pass it on from the peer: any bytes. The
// message is parsed, every entry decoded and applied as the StickTables
// service does; nothing may crash and no table may exceed its size.
#include <cstddef>
#include <cstdint>

#include "balancer/admin/stick_codec.h"
#include "balancer/stick/stick_table_parser.h"
#include "common/config/lexer.h"

using namespace tandem::balancer;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  admin::pb::ApplyBatch batch;
  if (!batch.ParseFromArray(data, static_cast<int>(size))) return 0;
  stick::StickRegistry reg({"lb1", "i1", 1024});
  stick::StickNow now{1000, 1'800'000'000'000'000};
  for (const char* line :
       {"stick-table type ip size 4 expire 10s peers p store server_id,http_req_rate(10s),gpc0",
        "stick-table type string len 8 size 4 peers p store conn_cnt,bytes_out_rate(1s)",
        "stick-table type binary len 4 size 4 peers p store gpc1", "stick-table type ipv6 size 4 peers p"}) {
    auto lines = tandem::config::lex(line, "fuzz.cfg");
    std::string name(1, static_cast<char>('a' + reg.tables().size()));
    (void)reg.install(*stick::parse_stick_table(lines->at(0), name), 1, now);
  }
  admin::IncomingDecoder decoder;
  for (const auto& e : batch.entries()) {
    auto t = reg.find(e.table());
    if (!t) continue;
    auto in = decoder.decode(t->def(), e);
    if (!in) continue;
    (void)reg.apply(*t, *in, now);
    if (t->entries() > t->def().size) __builtin_trap();
  }
  reg.set_applied(batch.source_node(), admin::from_proto(batch.source_cursor()));
  reg.collect();
  return 0;
}
