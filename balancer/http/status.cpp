#include "balancer/http/status.h"

#include "common/strings.h"

namespace tandem::balancer::http {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 425: return "Too Early";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

namespace {
std::string_view explanation(int status) {
  switch (status) {
    case 400: return "Your browser sent an invalid request.";
    case 401: return "You need a valid user and password to access this content.";
    case 403: return "Request forbidden by administrative rules.";
    case 404: return "The requested URL was not found.";
    case 405: return "A request was made of a resource using a request method not supported by that resource.";
    case 408: return "Your browser didn't send a complete request in time.";
    case 410: return "The resource is no longer available and will not be available again.";
    case 429: return "You have sent too many requests in a given amount of time.";
    case 500: return "An internal server error occurred.";
    case 501: return "The server does not support the functionality required to fulfill the request.";
    case 502: return "The server returned an invalid or incomplete response.";
    case 503: return "No server is available to handle this request.";
    case 504: return "The server didn't respond in time.";
    case 505: return "The HTTP version of the request is not supported.";
    default: return "";
  }
}
}  // namespace

std::string make_error_response(int status, bool close, std::string_view extra_headers) {
  std::string body = cat("<html><body><h1>", status, ' ', reason_phrase(status), "</h1>\n", explanation(status),
                         "\n</body></html>\n");
  std::string r = cat("HTTP/1.1 ", status, ' ', reason_phrase(status), "\r\ncontent-length: ", body.size(),
                      "\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n");
  if (close) r += "connection: close\r\n";
  r += extra_headers;
  r += "\r\n";
  r += body;
  return r;
}

}  // namespace tandem::balancer::http
