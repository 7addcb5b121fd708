// keepalived-syntax lexing into a block tree: any bytes give a tree or an
// error, never a crash or unbounded recursion.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "vrrpd/config/block_lexer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // `include` reads files; the fuzzer must not reach the filesystem.
  if (text.find("include") != std::string_view::npos) return 0;
  (void)tandem::vrrpd::config::lex_blocks(text, "fuzz.conf");
  return 0;
}
