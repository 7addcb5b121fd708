// Tandem's side of the stick-table memory benchmark (stick_memory.py runs it
// beside HAProxy): a fresh process fills one `type ip` table through the data
// path as traffic would (stick store + a counted request per key), with the
// change log collected as the runtime's maintenance tick does, then reports
// its RSS and where the bytes are.
//
//   bench_stick_memory ENTRIES "STORE-LIST"
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "balancer/stick/stick_registry.h"
#include "balancer/stick/stick_table_parser.h"
#include "common/config/lexer.h"

using namespace tandem::balancer::stick;

static long rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s ENTRIES STORE-LIST\n", argv[0]);
    return 2;
  }
  const long n = std::atol(argv[1]);
  std::string text = std::string("stick-table type ip size 1m expire 30m peers p store ") + argv[2];
  auto lines = tandem::config::lex(text, "bench");
  auto def = parse_stick_table(lines->at(0), "web");
  if (!def) {
    std::fprintf(stderr, "%s\n", def.error().message.c_str());
    return 2;
  }
  const long before = rss_kb();
  StickRegistry reg({"lb1", "bench", 1u << 20});
  StickNow now{1000, 1'800'000'000'000'000};
  auto t = *reg.install(*def, 42, now);
  auto s1 = *t->server_ref("s1", 1);
  const bool rate = def->stores(DataType::http_req_rate);
  for (long i = 0; i < n; ++i) {
    std::uint8_t ip[4] = {10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                          static_cast<std::uint8_t>(i)};
    KeyView k{ip, 4};
    if (def->stores(DataType::server_id)) t->store_server(k, s1, now);
    if (rate) {
      StickRef r = t->track(k, now);
      t->count(r, StickEvent::http_request, 1, now);
      t->untrack(r, now);
    }
    if (i % 10000 == 0) reg.collect();  // the maintenance tick, ~every 100 ms at 100k new keys/s
  }
  reg.collect();
  const long after = rss_kb();
  std::printf(
      "{\"entries\": %llu, \"rss_before_kb\": %ld, \"rss_after_kb\": %ld, \"table_bytes\": %zu, "
      "\"log_bytes\": %zu, \"entry_bytes\": %u}\n",
      static_cast<unsigned long long>(t->entries()), before, after, t->memory_bytes(), reg.log().memory_bytes(),
      EntryLayout::make(*def).size);
  return 0;
}
