// The HTTP/1.1 parsers against tables of valid and invalid messages: every
// class of malformed input the proxy must refuse itself, with the status it
// answers.
#include <gtest/gtest.h>

#include <string>

#include "balancer/http/chunked.h"
#include "balancer/http/request_parser.h"
#include "balancer/http/response_parser.h"

namespace tandem::balancer::http {
namespace {

using namespace std::string_literals;

struct Parsed {
  ParseStatus status;
  RequestHead head;
  ParseError err;
};

Parsed parse_request(std::string_view text, Limits limits = {}) {
  RequestParser p(limits);
  Parsed r;
  r.status = p.parse(text, r.head, r.err);
  return r;
}

TEST(RequestParser, ASimpleGet) {
  std::string msg = "GET /index.html?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\nNEXT";
  auto r = parse_request(msg);
  ASSERT_EQ(r.status, ParseStatus::complete) << r.err.reason;
  EXPECT_EQ(r.head.method, Method::get);
  EXPECT_EQ(r.head.target, "/index.html?x=1");
  EXPECT_EQ(r.head.version, Version::http11);
  EXPECT_EQ(r.head.host, "example.com");
  ASSERT_EQ(r.head.headers.size(), 2u);
  EXPECT_EQ(r.head.headers[1].name, "User-Agent");
  EXPECT_EQ(r.head.body, BodyKind::none);
  EXPECT_EQ(r.head.head_length, msg.size() - 4);
  EXPECT_TRUE(r.head.wants_keep_alive());
}

TEST(RequestParser, IncrementalByteByByte) {
  std::string msg = "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
  RequestParser p;
  RequestHead head;
  ParseError err;
  size_t head_len = msg.size() - 5;
  for (size_t n = 0; n < head_len; ++n) ASSERT_EQ(p.parse(std::string_view(msg).substr(0, n), head, err), ParseStatus::need_more) << n;
  ASSERT_EQ(p.parse(std::string_view(msg).substr(0, head_len), head, err), ParseStatus::complete);
  EXPECT_EQ(head.body, BodyKind::content_length);
  EXPECT_EQ(head.content_length, 5u);
  EXPECT_EQ(head.head_length, head_len);
}

TEST(RequestParser, AcceptedVariants) {
  struct Case {
    const char* name;
    std::string msg;
  } cases[] = {
      {"bare LF line endings", "GET / HTTP/1.1\nHost: h\n\n"},
      {"leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"},
      {"HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n"},
      {"absolute-form with matching Host", "GET http://h.example/x HTTP/1.1\r\nHost: h.example\r\n\r\n"},
      {"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"},
      {"identical duplicate Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n"},
      {"gzip then chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"},
      {"obs-text in a value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: caf\xc3\xa9\r\n\r\n"},
      {"tab in a value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\tb\r\n\r\n"},
      {"empty value", "GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\n\r\n"},
      {"unknown method", "PURGE /x HTTP/1.1\r\nHost: h\r\n\r\n"},
      {"host with port", "GET / HTTP/1.1\r\nHost: h:8080\r\n\r\n"},
  };
  for (const auto& c : cases) {
    auto r = parse_request(c.msg);
    EXPECT_EQ(r.status, ParseStatus::complete) << c.name << ": " << r.err.reason;
  }
}

TEST(RequestParser, RefusedWithTheRightStatus) {
  struct Case {
    const char* name;
    std::string msg;
    int status;
  } cases[] = {
      // request line
      {"two spaces", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"trailing space", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400},
      {"lowercase version", "GET / http/1.1\r\nHost: h\r\n\r\n", 400},
      {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
      {"HTTP/1.2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505},
      {"HTTP/0.9 style", "GET /\r\n\r\n", 400},
      {"control byte in target", "GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"non-ASCII in target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"relative target", "GET foo HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"CONNECT", "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 501},
      {"bare CR in request line", "GET / HTTP/1.1\rHost: h\r\n\r\n", 400},
      // header syntax
      {"whitespace before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400},
      {"tab before colon", "GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", 400},
      {"empty header name", "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400},
      {"invalid header name", "GET / HTTP/1.1\r\nHost: h\r\nX(y): v\r\n\r\n", 400},
      {"no colon", "GET / HTTP/1.1\r\nHost: h\r\nJunk\r\n\r\n", 400},
      {"NUL in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n"s, 400},
      {"bare CR in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400},
      {"control byte in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f b\r\n\r\n", 400},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400},
      // Host
      {"missing Host on 1.1", "GET / HTTP/1.1\r\nX: y\r\n\r\n", 400},
      {"two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400},
      {"Host with a path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
      {"Host differs from authority", "GET http://a/x HTTP/1.1\r\nHost: b\r\n\r\n", 400},
      // Content-Length
      {"signed CL", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", 400},
      {"negative CL", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -5\r\n\r\n", 400},
      {"empty CL", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n", 400},
      {"listed CL", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n", 400},
      {"CL overflow past 2^63", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775808\r\n\r\n", 400},
      {"CL 2^64", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551616\r\n\r\n", 400},
      {"hex CL", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x5\r\n\r\n", 400},
      {"differing CLs", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400},
      // Transfer-Encoding
      {"CL and TE", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"TE and CL", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400},
      {"TE last not chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400},
      {"TE gzip only", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
      {"chunked twice", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400},
      {"chunked twice in two headers",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"TE on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"unknown coding", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: foo, chunked\r\n\r\n", 501},
      {"TE with junk", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n", 501},
      {"empty TE", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\n\r\n", 400},
  };
  for (const auto& c : cases) {
    auto r = parse_request(c.msg);
    ASSERT_EQ(r.status, ParseStatus::error) << c.name;
    EXPECT_EQ(r.err.status, c.status) << c.name << ": " << r.err.reason;
  }
}

TEST(RequestParser, TooLargeHeadsAndTooManyHeaders) {
  Limits limits{.max_head_bytes = 64, .max_headers = 3};
  auto big = parse_request("GET /" + std::string(100, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n", limits);
  ASSERT_EQ(big.status, ParseStatus::error);
  EXPECT_EQ(big.err.status, 400);
  auto incomplete_big = parse_request("GET /" + std::string(100, 'a'), limits);
  EXPECT_EQ(incomplete_big.status, ParseStatus::error);
  auto many = parse_request("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", Limits{.max_head_bytes = 1000, .max_headers = 3});
  ASSERT_EQ(many.status, ParseStatus::error);
  EXPECT_STREQ(std::string(many.err.reason).c_str(), "too many headers");
}

TEST(RequestParser, ConnectionSemantics) {
  EXPECT_FALSE(parse_request("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").head.wants_keep_alive());
  EXPECT_FALSE(parse_request("GET / HTTP/1.0\r\n\r\n").head.wants_keep_alive());
  EXPECT_TRUE(parse_request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").head.wants_keep_alive());
  auto ws = parse_request("GET /chat HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n");
  EXPECT_TRUE(ws.head.upgrade);
  auto exp = parse_request("PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n");
  EXPECT_TRUE(exp.head.expect_continue);
  auto exp10 = parse_request("PUT /x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  EXPECT_FALSE(exp10.head.expect_continue);  // RFC 9110 §10.1.1: ignored on HTTP/1.0
  auto te = parse_request("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(te.head.body, BodyKind::chunked);
  auto zero = parse_request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(zero.head.body, BodyKind::none);
}

struct ParsedResponse {
  ParseStatus status;
  ResponseHead head;
  ParseError err;
};

ParsedResponse parse_response(std::string_view text, Method m = Method::get) {
  ResponseParser p;
  ParsedResponse r;
  r.status = p.parse(text, m, r.head, r.err);
  return r;
}

TEST(ResponseParser, Framing) {
  struct Case {
    const char* name;
    std::string msg;
    Method method;
    BodyKind body;
  } cases[] = {
      {"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", Method::get, BodyKind::content_length},
      {"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", Method::get, BodyKind::chunked},
      {"until close", "HTTP/1.1 200 OK\r\n\r\n", Method::get, BodyKind::until_close},
      {"HEAD ignores CL", "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", Method::head, BodyKind::none},
      {"204", "HTTP/1.1 204 No Content\r\nContent-Length: 12\r\n\r\n", Method::get, BodyKind::none},
      {"304", "HTTP/1.1 304 Not Modified\r\nContent-Length: 12\r\n\r\n", Method::get, BodyKind::none},
      {"100 continue", "HTTP/1.1 100 Continue\r\n\r\n", Method::post, BodyKind::none},
      {"101 switching", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", Method::get, BodyKind::none},
      {"no reason phrase", "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n", Method::get, BodyKind::content_length},
      {"HTTP/1.0 response", "HTTP/1.0 200 OK\r\n\r\n", Method::get, BodyKind::until_close},
  };
  for (const auto& c : cases) {
    auto r = parse_response(c.msg, c.method);
    ASSERT_EQ(r.status, ParseStatus::complete) << c.name << ": " << r.err.reason;
    EXPECT_EQ(r.head.body, c.body) << c.name;
  }
}

TEST(ResponseParser, MalformedResponsesAreBadGateway) {
  const char* cases[] = {
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/1.1 2000 OK\r\n\r\n",
      "HTTP/2 200 OK\r\n\r\n",
      "http/1.1 200 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX : y\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
      "HTTP/1.1 099 Odd\r\n\r\n",
      "garbage\r\n\r\n",
  };
  for (const char* c : cases) {
    auto r = parse_response(c);
    ASSERT_EQ(r.status, ParseStatus::error) << c;
    EXPECT_EQ(r.err.status, 502) << c;
  }
}

std::pair<bool, std::string> run_chunked(const std::vector<std::string>& pieces, size_t* consumed_total = nullptr,
                                         bool* done = nullptr) {
  ChunkedDecoder dec;
  size_t total = 0;
  for (const auto& p : pieces) {
    ChunkedDecoder::Step step;
    ParseError err;
    if (!dec.feed(p, 400, step, err)) return {false, std::string(err.reason)};
    total += step.consumed;
    if (step.done) break;
  }
  if (consumed_total) *consumed_total = total;
  if (done) *done = dec.done();
  return {true, ""};
}

TEST(ChunkedDecoder, WholeBodiesInAnySplit) {
  std::string body = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT REQUEST";
  size_t msg_len = body.size() - 12;
  for (size_t split = 0; split <= msg_len; ++split) {
    size_t consumed = 0;
    bool done = false;
    auto [ok, why] = run_chunked({body.substr(0, split), body.substr(split)}, &consumed, &done);
    ASSERT_TRUE(ok) << split << ": " << why;
    EXPECT_TRUE(done) << split;
    EXPECT_EQ(consumed, msg_len) << split;
  }
}

TEST(ChunkedDecoder, Refusals) {
  struct Case {
    const char* name;
    std::string body;
  } cases[] = {
      {"not hex", "g\r\n"},
      {"empty size", "\r\n"},
      {"17 digits", "00000000000000001\r\n"},
      {"overflow 2^63", "8000000000000000\r\n"},
      {"bare LF after size", "5\nhello\r\n"},
      {"data without CRLF", "5\r\nhelloX\r\n"},
      {"data with bare LF", "5\r\nhello\n0\r\n\r\n"},
      {"negative", "-5\r\n"},
      {"control in extension", "5;a\x01\r\n"},
      {"last chunk bare LF end", "0\r\n\n"},
  };
  for (const auto& c : cases) {
    auto [ok, why] = run_chunked({c.body});
    EXPECT_FALSE(ok) << c.name;
  }
  ChunkedDecoder big_ext(ChunkedDecoder::Limits{.max_extension_bytes = 8, .max_trailer_bytes = 16});
  ChunkedDecoder::Step step;
  ParseError err;
  EXPECT_FALSE(big_ext.feed("1;aaaaaaaaaaaaaa\r\n", 400, step, err));
  ChunkedDecoder big_trailer(ChunkedDecoder::Limits{.max_extension_bytes = 8, .max_trailer_bytes = 16});
  EXPECT_FALSE(big_trailer.feed("0\r\nX-Long-Trailer: 0123456789\r\n\r\n", 400, step, err));
}

TEST(ChunkedDecoder, LargeChunkSizesStreamWithoutBuffering) {
  ChunkedDecoder dec;
  ChunkedDecoder::Step step;
  ParseError err;
  ASSERT_TRUE(dec.feed("7fffffffffffffff\r\n", 400, step, err));
  ASSERT_TRUE(dec.feed(std::string(1000, 'x'), 400, step, err));
  EXPECT_EQ(step.consumed, 1000u);
  EXPECT_FALSE(step.done);
}

}  // namespace
}  // namespace tandem::balancer::http
