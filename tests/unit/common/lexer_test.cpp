#include "common/config/lexer.h"

#include <gtest/gtest.h>

#include <map>

namespace tandem::config {
namespace {

std::optional<std::string> fake_env(std::string_view name) {
  static const std::map<std::string, std::string, std::less<>> vars = {{"PORT", "8080"}, {"HOST", "198.18.0.1"}};
  auto it = vars.find(name);
  if (it == vars.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> words(std::string_view text) {
  auto r = lex(text, "t.cfg", fake_env);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  if (!r || r->empty()) return {};
  return r->front().words;
}

std::string error_of(std::string_view text) {
  auto r = lex(text, "t.cfg", fake_env);
  EXPECT_FALSE(r.has_value());
  return r ? "" : r.error().message;
}

using W = std::vector<std::string>;

TEST(Lexer, SplitsOnSpacesAndTabs) { EXPECT_EQ(words("  bind\t*:80   ssl "), (W{"bind", "*:80", "ssl"})); }

TEST(Lexer, DropsCommentsAndBlankLines) {
  auto r = lex("# header\n\n   \nglobal # trailing\n  maxconn 10\n", "f.cfg", fake_env);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].words, W{"global"});
  EXPECT_EQ((*r)[0].number, 4);
  EXPECT_EQ((*r)[1].number, 5);
  EXPECT_EQ((*r)[1].where(), "f.cfg:5");
}

TEST(Lexer, BackslashEscapes) {
  EXPECT_EQ(words(R"(stats realm Haproxy\ Statistics)"), (W{"stats", "realm", "Haproxy Statistics"}));
  EXPECT_EQ(words(R"(a \#notcomment \\ \x41)"), (W{"a", "#notcomment", "\\", "A"}));
  EXPECT_EQ(words(R"(x a\r\nb)"), (W{"x", "a\r\nb"}));
}

TEST(Lexer, UnknownEscapesAreKeptForRegexes) {
  EXPECT_EQ(words(R"(acl chk path_reg ^/check\.txt$)"), (W{"acl", "chk", "path_reg", "^/check\\.txt$"}));
}

TEST(Lexer, TheOldHttpchkOneStringForm) {
  EXPECT_EQ(words(R"(option httpchk GET /health HTTP/1.1\r\nHost:\ localhost)"),
            (W{"option", "httpchk", "GET", "/health", "HTTP/1.1\r\nHost: localhost"}));
}

TEST(Lexer, DoubleQuotesKeepSpacesAndExpandVariables) {
  EXPECT_EQ(words(R"(bind "${HOST}:$PORT")"), (W{"bind", "198.18.0.1:8080"}));
  EXPECT_EQ(words(R"(x "a b" "")"), (W{"x", "a b", ""}));
  EXPECT_EQ(words(R"(x "${NOPE-fallback}")"), (W{"x", "fallback"}));
  EXPECT_EQ(words(R"(x "say \"hi\"")"), (W{"x", "say \"hi\""}));
}

TEST(Lexer, SingleQuotesAreLiteral) { EXPECT_EQ(words(R"(x '$PORT \n # y')"), (W{"x", "$PORT \\n # y"})); }

TEST(Lexer, VariablesOutsideQuotesAreLiteral) { EXPECT_EQ(words("x $PORT"), (W{"x", "$PORT"})); }

TEST(Lexer, QuotesInsideAWordJoin) { EXPECT_EQ(words(R"(x a"b c"d)"), (W{"x", "ab cd"})); }

TEST(Lexer, CrlfLineEndings) {
  auto r = lex("global\r\n  maxconn 5\r\n", "f", fake_env);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[1].words, (W{"maxconn", "5"}));
}

TEST(Lexer, ErrorsNameFileAndLine) {
  EXPECT_EQ(error_of("ok\nx \"open"), "t.cfg:2: unterminated double quote");
  EXPECT_EQ(error_of("x 'open"), "t.cfg:1: unterminated single quote");
  EXPECT_EQ(error_of("x \"$UNDEFINED\""), "t.cfg:1: environment variable 'UNDEFINED' is not set");
  EXPECT_EQ(error_of("x \"${PORT\""), "t.cfg:1: unterminated ${ in variable reference");
  EXPECT_EQ(error_of("x \\xZZ"), "t.cfg:1: invalid \\x escape: two hex digits expected");
  EXPECT_EQ(error_of(std::string_view("x\0y", 3)), "t.cfg:1: NUL byte in configuration");
}

TEST(Lexer, MissingFile) {
  auto r = lex_file("/nonexistent/balancer.cfg");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("/nonexistent/balancer.cfg: cannot open", 0), 0u);
}

}  // namespace
}  // namespace tandem::config
