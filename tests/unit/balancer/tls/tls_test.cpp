// The pure parts of TLS termination: which certificate a server name
// selects, and crt-list files. (Handshakes are tested end to end in
// tests/integration/test_tls.py.)
#include <gtest/gtest.h>

#include "balancer/config/parser.h"
#include "balancer/tls/crt_list.h"
#include "balancer/tls/server_name.h"
#include "balancer/tls/sni_index.h"

namespace tandem::balancer::tls {
namespace {

TEST(SniIndex, ExactNamesBeatWildcardsAndCaseDoesNotMatter) {
  SniIndex ix;
  ix.add("*.example.com", 0);
  ix.add("www.example.com", 1);
  ix.add("Blog.Example.com", 2);
  EXPECT_EQ(ix.find("www.example.com"), 1u);
  EXPECT_EQ(ix.find("WWW.EXAMPLE.COM"), 1u);
  EXPECT_EQ(ix.find("blog.example.com"), 2u);
  EXPECT_EQ(ix.find("shop.example.com"), 0u);
  EXPECT_EQ(ix.find("shop.example.com."), 0u);  // absolute name
}

TEST(SniIndex, AWildcardCoversExactlyOneLabel) {
  SniIndex ix;
  ix.add("*.example.com", 0);
  EXPECT_EQ(ix.find("a.example.com"), 0u);
  EXPECT_EQ(ix.find("example.com"), std::nullopt);
  EXPECT_EQ(ix.find("a.b.example.com"), std::nullopt);
  EXPECT_EQ(ix.find(".example.com"), std::nullopt);
  EXPECT_EQ(ix.find(""), std::nullopt);
}

TEST(SniIndex, TheFirstCertificateForANameWins) {
  SniIndex ix;
  ix.add("a.test", 3);
  ix.add("a.test", 1);
  ix.add("a.test", 3);
  EXPECT_EQ(ix.find("a.test"), 3u);
}

TEST(SniIndex, ANegativeFilterRemovesANameFromItsCertificateOnly) {
  SniIndex ix;
  ix.add("*.example.com", 0);
  ix.add("!old.example.com", 0);
  EXPECT_EQ(ix.find("new.example.com"), 0u);
  EXPECT_EQ(ix.find("old.example.com"), std::nullopt);
  ix.add("*.example.com", 1);
  EXPECT_EQ(ix.find("old.example.com"), 1u);  // another certificate still covers it
}

std::string_view sni(std::initializer_list<int> bytes) {
  static std::vector<std::uint8_t> keep;
  keep.assign(bytes.begin(), bytes.end());
  return parse_server_name(keep.data(), keep.size());
}

TEST(ServerName, TheFirstHostNameOfTheList) {
  // list length 9: [type 1, len 1, 'x'], [type 0, len 3, "a.b"]
  EXPECT_EQ(sni({0, 10, 1, 0, 1, 'x', 0, 0, 3, 'a', '.', 'b'}), "a.b");
  EXPECT_EQ(sni({0, 6, 0, 0, 3, 'a', '.', 'b'}), "a.b");
}

TEST(ServerName, BrokenFramingGivesNoName) {
  EXPECT_EQ(sni({}), "");
  EXPECT_EQ(sni({0}), "");
  EXPECT_EQ(sni({0, 7, 0, 0, 3, 'a', '.', 'b'}), "");     // list longer than the data
  EXPECT_EQ(sni({0, 6, 0, 0, 9, 'a', '.', 'b'}), "");     // name longer than the list
  EXPECT_EQ(sni({0, 3, 0, 0, 0}), "");                    // empty name
  EXPECT_EQ(sni({0, 4, 1, 0, 1, 'x'}), "");               // no host_name entry
}

TEST(CrtList, PathsOptionsAndFilters) {
  auto r = parse_crt_list(
      "# comment\n"
      "\n"
      "/etc/a.pem\n"
      "/etc/b.pem [alpn h2,http/1.1 ssl-min-ver TLSv1.3] b.example.com *.b.test !x.b.test  # trailing\n"
      "/etc/c.pem [ciphers ECDHE]\n"
      "/etc/d.pem d.example.com\r\n",
      "list.txt");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].path, "/etc/a.pem");
  EXPECT_EQ((*r)[0].line, 3);
  EXPECT_TRUE((*r)[0].options.empty());
  EXPECT_EQ((*r)[1].options, (std::vector<std::string>{"alpn", "h2,http/1.1", "ssl-min-ver", "TLSv1.3"}));
  EXPECT_EQ((*r)[1].filters, (std::vector<std::string>{"b.example.com", "*.b.test", "!x.b.test"}));
  EXPECT_EQ((*r)[2].options, (std::vector<std::string>{"ciphers", "ECDHE"}));
  EXPECT_EQ((*r)[3].filters, (std::vector<std::string>{"d.example.com"}));
  EXPECT_EQ((*r)[3].line, 6);
}

TEST(CrtList, ErrorsNameTheFileAndLine) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"a.pem\nb.pem [alpn h2\n", "list.txt:2: crt-list: options opened with '[' are not closed with ']'"},
      {"[alpn h2] a.pem\n", "list.txt:1: crt-list: a line starts with the certificate's path"},
      {"a.pem name [alpn h2]\n", "list.txt:1: crt-list: options in brackets go right after the path"},
      {"a.pem [alpn [h2]]\n", "list.txt:1: crt-list: '[' inside options"},
      {"a.pem !\n", "list.txt:1: crt-list: '!' is not a server name filter"},
  };
  for (const Case& c : cases) {
    auto r = parse_crt_list(c.text, "list.txt");
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().message, c.error);
  }
}

}  // namespace
}  // namespace tandem::balancer::tls
