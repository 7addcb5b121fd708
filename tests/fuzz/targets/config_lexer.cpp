// HAProxy-syntax configuration lexing: any bytes give lines or an error, never
// a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/config/lexer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "X") return std::string("value");
    return std::nullopt;
  };
  auto r = tandem::config::lex(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.cfg", env);
  if (r) {
    for (const auto& line : *r)
      if (line.words.empty()) __builtin_trap();  // lex never yields an empty line
  }
  return 0;
}
