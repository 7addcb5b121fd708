#pragma once
// A command's own arguments (after `tandemctl [global options] COMMAND`):
// positional words and the options that command accepts, as `--opt VALUE`,
// `--opt=VALUE` or a bare flag. An option the command does not take is an
// error that names it; `--` ends the options.

#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace tandem::cli {

struct CommandArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string, std::less<>> values;  // "--key" -> "K"
  std::set<std::string, std::less<>> flags;                // "--wait-synced"

  bool has(std::string_view flag) const { return flags.contains(flag); }
  const std::string* value(std::string_view opt) const {
    auto it = values.find(opt);
    return it == values.end() ? nullptr : &it->second;
  }
};

Result<CommandArgs> parse_command_args(std::span<const std::string> args,
                                       std::initializer_list<std::string_view> with_value,
                                       std::initializer_list<std::string_view> flags);

// A whole number of seconds or a decimal ("1.5") in 0.001..86400, as milliseconds.
Result<long long> parse_seconds(std::string_view text);

}  // namespace tandem::cli
