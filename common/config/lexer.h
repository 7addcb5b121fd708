#pragma once
// HAProxy's configuration lexing, shared by balancer.cfg and peersync.conf:
// text -> lines of words, each with its file and line number.
//
//  - Words are separated by spaces and tabs; `#` starts a comment.
//  - Backslash escapes outside single quotes: `\ ` `\#` `\\` `\'` `\"` `\r`
//    `\n` `\t` `\xHH`. Any other `\c` is kept as the two bytes, so regexes such
//    as `^/check\.txt$` arrive intact (as with HAProxy).
//  - "double quotes" keep spaces and expand `$VAR`, `${VAR}` and
//    `${VAR-default}` from the environment; 'single quotes' keep everything
//    literally. Quotes may sit inside a word: a"b c"d is one word, `ab cd`.
//  - An undefined variable without a default is an error naming the line;
//    HAProxy would silently expand it to nothing.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace tandem::config {

struct Line {
  std::string file;
  int number = 0;
  std::vector<std::string> words;

  // "FILE:LINE", the prefix of every message about this line.
  std::string where() const;
};

// Looks a variable up; the default reads the process environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
std::optional<std::string> process_env(std::string_view name);

// Lexes `text` as read from `file`. Blank and comment-only lines are dropped.
// Errors read "FILE:LINE: message".
Result<std::vector<Line>> lex(std::string_view text, const std::string& file, const EnvLookup& env = process_env);

// Reads and lexes a file.
Result<std::vector<Line>> lex_file(const std::string& path, const EnvLookup& env = process_env);

// Formats "FILE:LINE: message".
std::string at(const Line& line, std::string_view message);

}  // namespace tandem::config
