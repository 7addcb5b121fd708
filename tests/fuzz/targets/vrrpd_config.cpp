// keepalived configuration, lexed and parsed: any bytes give a configuration
// or a "file:line: ..." error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "vrrpd/config/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // `include` reads files; the fuzzer must not reach the filesystem.
  if (text.find("include") != std::string_view::npos) return 0;
  auto nodes = tandem::vrrpd::config::lex_blocks(text, "fuzz.conf");
  if (!nodes) return 0;
  auto cfg = tandem::vrrpd::config::parse(*nodes);
  if (!cfg && cfg.error().message.rfind("fuzz.conf:", 0) != 0) __builtin_trap();  // every error names file:line
  return 0;
}
