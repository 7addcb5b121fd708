#include "cli/command_args.h"

#include <algorithm>
#include <charconv>

#include "common/strings.h"

namespace tandem::cli {

Result<CommandArgs> parse_command_args(std::span<const std::string> args,
                                       std::initializer_list<std::string_view> with_value,
                                       std::initializer_list<std::string_view> flags) {
  CommandArgs out;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      out.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    std::string_view name = a;
    std::string inline_value;
    bool has_inline = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = std::string_view(a).substr(0, eq);
      inline_value = a.substr(eq + 1);
      has_inline = true;
    }
    if (std::find(with_value.begin(), with_value.end(), name) != with_value.end()) {
      if (has_inline) {
        out.values[std::string(name)] = inline_value;
      } else {
        if (i + 1 >= args.size()) return fail(cat("option ", name, " needs a value"));
        out.values[std::string(name)] = args[++i];
      }
    } else if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
      if (has_inline) return fail(cat("option ", name, " takes no value"));
      out.flags.emplace(name);
    } else {
      return fail(cat("unknown option '", name, "'"));
    }
  }
  return out;
}

Result<long long> parse_seconds(std::string_view text) {
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || !(v >= 0.001 && v <= 86400))
    return fail(cat("'", text, "' is not a number of seconds in 0.001..86400"));
  return static_cast<long long>(v * 1000 + 0.5);
}

}  // namespace tandem::cli
