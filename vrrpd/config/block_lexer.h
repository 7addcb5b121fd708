#pragma once
// keepalived's configuration syntax -> a tree of statements.
//
//  - Words are separated by blanks; `#` and `!` at the start of a word begin a
//    comment; "double quotes" keep blanks (script "/usr/bin/killall -0 haproxy").
//  - `{` and `}` are words of their own even when attached to another word.
//  - A statement followed by `{` (on its line or the next) owns the statements
//    up to the matching `}`.
//  - `include GLOB` splices other files in, as keepalived does.

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace tandem::vrrpd::config {

struct Node {
  std::string file;
  int line = 0;
  std::vector<std::string> words;  // the keyword, then its arguments
  bool has_block = false;          // a { ... } followed
  std::vector<Node> children;      // the block's statements

  std::string where() const;
  const std::string& keyword() const { return words.front(); }
};

Result<std::vector<Node>> lex_blocks(std::string_view text, const std::string& file);
Result<std::vector<Node>> lex_blocks_file(const std::string& path);

}  // namespace tandem::vrrpd::config
