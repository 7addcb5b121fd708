#include "vrrpd/config/block_lexer.h"

#include <glob.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/strings.h"

namespace tandem::vrrpd::config {

std::string Node::where() const { return cat(file, ':', line); }

namespace {

struct Token {
  std::string text;
  int line;
  bool quoted;
};

Result<std::vector<Token>> tokenize(std::string_view text, const std::string& file) {
  std::vector<Token> out;
  int line = 1;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      ++i;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
    } else if (c == '#' || c == '!') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '{' || c == '}') {
      out.push_back({std::string(1, c), line, false});
      ++i;
    } else if (c == '"') {
      size_t close = text.find('"', i + 1);
      size_t nl = text.find('\n', i + 1);
      if (close == std::string_view::npos || (nl != std::string_view::npos && nl < close))
        return fail(cat(file, ':', line, ": unterminated double quote"));
      out.push_back({std::string(text.substr(i + 1, close - i - 1)), line, true});
      i = close + 1;
    } else {
      size_t j = i;
      while (j < text.size() && text[j] != ' ' && text[j] != '\t' && text[j] != '\r' && text[j] != '\n' &&
             text[j] != '{' && text[j] != '}' && text[j] != '"')
        ++j;
      out.push_back({std::string(text.substr(i, j - i)), line, false});
      i = j;
    }
  }
  return out;
}

struct Builder {
  const std::string& file;
  const std::vector<Token>& toks;
  size_t pos = 0;
  int depth = 0;

  // Parses statements until a closing brace (depth > 0) or the end.
  Result<std::vector<Node>> statements() {
    std::vector<Node> nodes;
    while (pos < toks.size()) {
      const Token& t = toks[pos];
      if (!t.quoted && t.text == "}") {
        if (depth == 0) return fail(cat(file, ':', t.line, ": '}' without a matching '{'"));
        ++pos;
        return nodes;
      }
      if (!t.quoted && t.text == "{") {
        // `{` on its own line opens the previous statement's block.
        if (nodes.empty() || nodes.back().has_block)
          return fail(cat(file, ':', t.line, ": '{' does not follow a statement"));
        auto r = block(nodes.back(), t.line);
        if (!r) return std::unexpected(r.error());
        continue;
      }
      Node n;
      n.file = file;
      n.line = t.line;
      while (pos < toks.size() && toks[pos].line == t.line &&
             (toks[pos].quoted || (toks[pos].text != "{" && toks[pos].text != "}")))
        n.words.push_back(toks[pos++].text);
      if (pos < toks.size() && !toks[pos].quoted && toks[pos].text == "{" && toks[pos].line == t.line) {
        auto r = block(n, t.line);
        if (!r) return std::unexpected(r.error());
      }
      nodes.push_back(std::move(n));
    }
    if (depth > 0) return fail(cat(file, ':', toks.empty() ? 1 : toks.back().line, ": missing '}' at end of file"));
    return nodes;
  }

  Result<void> block(Node& owner, int line) {
    ++pos;  // the '{'
    ++depth;
    if (depth > 16) return fail(cat(file, ':', line, ": blocks nested too deep"));
    auto children = statements();
    if (!children) return std::unexpected(children.error());
    --depth;
    owner.has_block = true;
    owner.children = std::move(*children);
    return {};
  }
};

Result<std::vector<Node>> expand_includes(std::vector<Node> nodes, int level);

Result<std::vector<Node>> lex_level(std::string_view text, const std::string& file, int level) {
  auto toks = tokenize(text, file);
  if (!toks) return std::unexpected(toks.error());
  Builder b{file, *toks};
  auto nodes = b.statements();
  if (!nodes) return nodes;
  return expand_includes(std::move(*nodes), level);
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(cat(path, ": cannot open: ", std::strerror(errno)));
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

Result<std::vector<Node>> expand_includes(std::vector<Node> nodes, int level) {
  std::vector<Node> out;
  for (Node& n : nodes) {
    if (n.keyword() != "include") {
      if (n.has_block) {
        auto kids = expand_includes(std::move(n.children), level);
        if (!kids) return kids;
        n.children = std::move(*kids);
      }
      out.push_back(std::move(n));
      continue;
    }
    if (n.words.size() != 2) return fail(cat(n.where(), ": include: expects one file or pattern"));
    if (level >= 8) return fail(cat(n.where(), ": include: nested too deep"));
    glob_t g{};
    int rc = ::glob(n.words[1].c_str(), 0, nullptr, &g);
    if (rc == GLOB_NOMATCH) {
      globfree(&g);
      return fail(cat(n.where(), ": include: no file matches '", n.words[1], "'"));
    }
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      std::string path = g.gl_pathv[i];
      auto text = read_file(path);
      if (!text) {
        globfree(&g);
        return fail(cat(n.where(), ": include: ", text.error().message));
      }
      auto sub = lex_level(*text, path, level + 1);
      if (!sub) {
        globfree(&g);
        return sub;
      }
      for (Node& s : *sub) out.push_back(std::move(s));
    }
    globfree(&g);
  }
  return out;
}

}  // namespace

Result<std::vector<Node>> lex_blocks(std::string_view text, const std::string& file) {
  return lex_level(text, file, 0);
}

Result<std::vector<Node>> lex_blocks_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  return lex_blocks(*text, path);
}

}  // namespace tandem::vrrpd::config
