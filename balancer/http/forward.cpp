#include "balancer/http/forward.h"

#include "balancer/http/syntax.h"

namespace tandem::balancer::http {

using syntax::iequals;

namespace {

bool always_hop_by_hop(std::string_view n) {
  return iequals(n, "connection") || iequals(n, "keep-alive") || iequals(n, "proxy-connection");
}

// Whether `name` is listed in a Connection header (other than the tokens the
// proxy handles itself).
bool named_by_connection(std::string_view name, const std::vector<Header>& headers) {
  for (const Header& h : headers) {
    if (h.name.size() != 10 || !iequals(h.name, "connection")) continue;
    bool found = false;
    syntax::for_each_list_item(h.value, [&](std::string_view tok) {
      if (iequals(tok, name)) found = true;
    });
    if (found) return true;
  }
  return false;
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

}  // namespace

bool is_hop_by_hop(std::string_view name, const std::vector<Header>& headers) {
  return always_hop_by_hop(name) || named_by_connection(name, headers);
}

void write_request_head(const RequestHead& req, const RequestRewrite& rw, std::string& out) {
  out.append(req.method_text);
  out.push_back(' ');
  out.append(req.target);
  out.append(req.version == Version::http11 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
  bool has_connection_tokens = false;
  for (const Header& h : req.headers)
    if (h.name.size() == 10 && iequals(h.name, "connection")) has_connection_tokens = true;
  bool xff_present = false;
  for (const Header& h : req.headers) {
    if (always_hop_by_hop(h.name)) continue;
    if (has_connection_tokens && named_by_connection(h.name, req.headers)) {
      // Upgrade is hop-by-hop too, but it is the point of an upgrade request.
      if (!(req.upgrade && iequals(h.name, "upgrade"))) continue;
    }
    if (!rw.forwarded_for_header.empty() && iequals(h.name, rw.forwarded_for_header)) xff_present = true;
    append_header(out, h.name, h.value);
  }
  if (!rw.forwarded_for_header.empty() && !(rw.forwarded_for_if_none && xff_present))
    append_header(out, rw.forwarded_for_header, rw.client_ip);
  if (req.upgrade) out.append("connection: upgrade\r\n");
  else if (rw.close) out.append("connection: close\r\n");
  else if (req.version == Version::http10) out.append("connection: keep-alive\r\n");
  out.append("\r\n");
}

void write_response_head(const ResponseHead& resp, const ResponseRewrite& rw, std::string& out) {
  out.append(resp.version == Version::http11 ? "HTTP/1.1 " : "HTTP/1.0 ");
  char code[4] = {static_cast<char>('0' + resp.status / 100), static_cast<char>('0' + resp.status / 10 % 10),
                  static_cast<char>('0' + resp.status % 10), 0};
  out.append(code, 3);
  out.push_back(' ');
  out.append(resp.reason);
  out.append("\r\n");
  bool switching = resp.status == 101;
  bool has_connection_tokens = false;
  for (const Header& h : resp.headers)
    if (h.name.size() == 10 && iequals(h.name, "connection")) has_connection_tokens = true;
  for (const Header& h : resp.headers) {
    if (always_hop_by_hop(h.name)) continue;
    if (has_connection_tokens && named_by_connection(h.name, resp.headers)) {
      if (!(switching && iequals(h.name, "upgrade"))) continue;
    }
    append_header(out, h.name, h.value);
  }
  if (switching) out.append("connection: upgrade\r\n");
  else if (rw.close) {
    if (rw.client_version == Version::http11) out.append("connection: close\r\n");
  } else if (rw.client_version == Version::http10) {
    out.append("connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

}  // namespace tandem::balancer::http
