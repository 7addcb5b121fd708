#include "balancer/http/forward.h"

#include <gtest/gtest.h>

#include "balancer/http/request_parser.h"
#include "balancer/http/response_parser.h"

namespace tandem::balancer::http {
namespace {

RequestHead parse(const std::string& s) {
  static std::string keep;
  keep = s;
  RequestParser p;
  RequestHead h;
  ParseError e;
  EXPECT_EQ(p.parse(keep, h, e), ParseStatus::complete) << e.reason;
  return h;
}

TEST(Forward, RequestDropsHopByHopAndAddsForwardedFor) {
  auto h = parse("GET /x HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\n"
                 "Proxy-Connection: x\r\nAccept: */*\r\n\r\n");
  std::string out;
  write_request_head(h, {"X-Forwarded-For", "192.0.2.7", false, false}, out);
  EXPECT_EQ(out, "GET /x HTTP/1.1\r\nHost: h\r\nAccept: */*\r\nX-Forwarded-For: 192.0.2.7\r\n\r\n");
}

TEST(Forward, IfNoneKeepsTheClientsHeader) {
  auto h = parse("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n");
  std::string out;
  write_request_head(h, {"X-Forwarded-For", "192.0.2.7", true, true}, out);
  EXPECT_EQ(out, "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4\r\nconnection: close\r\n\r\n");
}

TEST(Forward, UpgradeKeepsUpgrade) {
  auto h = parse("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
  std::string out;
  write_request_head(h, {}, out);
  EXPECT_EQ(out, "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nconnection: upgrade\r\n\r\n");
}

TEST(Forward, Http10RequestAsksForKeepAlive) {
  auto h = parse("GET / HTTP/1.0\r\n\r\n");
  std::string out;
  write_request_head(h, {}, out);
  EXPECT_EQ(out, "GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n");
}

TEST(Forward, ResponseConnectionHeaders) {
  static std::string raw = "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\n";
  ResponseParser p;
  ResponseHead r;
  ParseError e;
  ASSERT_EQ(p.parse(raw, Method::get, r, e), ParseStatus::complete);
  std::string out;
  write_response_head(r, {Version::http11, true}, out);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nconnection: close\r\n\r\n");
  out.clear();
  write_response_head(r, {Version::http10, false}, out);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nconnection: keep-alive\r\n\r\n");
}

}  // namespace
}  // namespace tandem::balancer::http
