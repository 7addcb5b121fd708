#include "balancer/proxy/request_logging.h"

#include <unistd.h>

#include "balancer/logging/cookie_capture.h"
#include "balancer/runtime/backend.h"
#include "common/strings.h"

namespace tandem::balancer::proxy {

namespace {

std::int64_t unix_us_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int ms_between(RequestLogState::Steady a, RequestLogState::Steady b) {
  if (a == RequestLogState::Steady{} || b == RequestLogState::Steady{}) return -1;
  return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count());
}

std::string_view version_text(http::Version v) { return v == http::Version::http10 ? "HTTP/1.0" : "HTTP/1.1"; }

void capture(std::vector<std::string>& out, const std::vector<http::Header>& hs, const config::Capture& c) {
  std::string v;
  for (const http::Header& h : hs)
    if (iequals(h.name, c.name)) {
      v = std::string(h.value.substr(0, c.len));
      break;
    }
  out.push_back(std::move(v));
}

// `capture cookie`: the first Cookie (request) or Set-Cookie (response)
// header holding the named cookie, into `out`; empty when none does.
void capture_cookie_in(const logging::TrafficLog& t, const std::vector<http::Header>& hs, bool response,
                       std::string& out) {
  out.clear();
  if (t.cookie_capture().empty()) return;
  const std::string_view name = response ? "set-cookie" : "cookie";
  for (const http::Header& h : hs)
    if (iequals(h.name, name) &&
        logging::capture_cookie(h.value, response, t.cookie_capture(), t.cookie_capture_len(), out))
      return;
}

}  // namespace

void RequestLogState::reset(Steady now) {
  start = now;
  head_done = connect_start = connected = response_head = Steady{};
  queue = QueueWait{};
  start_unix_us = unix_us_now();
  status = -1;
  bytes_out = bytes_in = 0;
  term[0] = term[1] = '-';
  any_request = false;
  captures.clear();
  cookie_req.clear();
  cookie_res.clear();
  has_request_line = false;
  applet = {};
  monitor = false;
  srv_conn_at_release = -1;
}

void RequestLogState::note_request(const http::RequestHead& req) {
  // assign() keeps the strings' capacity: no allocation per request once warm.
  method.assign(req.method_text);
  target.assign(req.target);
  version = req.version;
  has_request_line = true;
}

void RequestLogState::set_error_status(int st, bool server_involved) {
  status = st;
  // Who ended it, and in which phase (HAProxy's termination state).
  switch (st) {
    case 400: term[0] = 'C'; term[1] = 'R'; break;          // bad request from the client
    case 408: term[0] = 'c'; term[1] = 'R'; break;          // client too slow to send its request
    case 401: case 403: case 429: term[0] = 'P'; term[1] = 'R'; break;  // the proxy refused it
    case 502: term[0] = 'S'; term[1] = 'H'; break;          // bad or no answer from the server
    case 504: term[0] = 's'; term[1] = 'H'; break;          // server timeout
    case 503:
      // Gave up waiting in the queue (timeout queue), or no server could be reached.
      term[0] = queue.timed_out ? 's' : 'S';
      term[1] = queue.timed_out ? 'Q' : 'C';
      (void)server_involved;
      break;
    default:
      if (st >= 500) {
        term[0] = 'P';
        term[1] = 'R';
      }
  }
}

void RequestLogState::capture_request(const logging::TrafficLog& t, const http::RequestHead& req) {
  captures.clear();
  for (std::size_t i = 0; i < t.request_captures(); ++i) capture(captures, req.headers, t.captures()[i]);
}

void RequestLogState::capture_request_cookie(const logging::TrafficLog& t, const http::RequestHead& req) {
  capture_cookie_in(t, req.headers, false, cookie_req);
}

void RequestLogState::capture_response(const logging::TrafficLog& t, const http::ResponseHead& resp) {
  for (std::size_t i = t.request_captures(); i < t.captures().size(); ++i) capture(captures, resp.headers, t.captures()[i]);
  capture_cookie_in(t, resp.headers, true, cookie_res);
}

void emit_request_log(const logging::TrafficLog& t, const RequestLogState& s, const LogContext& c,
                      std::chrono::steady_clock::time_point now) {
  if (s.monitor) return;
  if (t.dontlognull() && !s.any_request && s.bytes_in == 0) return;
  logging::RequestLog r;
  r.client_ip = c.client_ip;
  r.client_port = c.client_port;
  r.frontend_ip = c.local_ip;
  r.frontend_port = c.local_port;
  r.accept_unix_us = s.accept_unix_us ? s.accept_unix_us : s.start_unix_us;
  r.request_unix_us = s.start_unix_us;
  r.frontend = c.fe->name();
  r.backend = c.be ? std::string_view(c.be->name()) : std::string_view();
  r.server = c.server ? std::string_view(c.server->name()) : std::string_view();
  if (!s.applet.empty()) r.server = s.applet;
  if (c.server) {
    r.server_ip = c.server->config().address;
    r.server_port = c.server->config().port;
  }
  r.TR = ms_between(s.start, s.head_done);
  if (s.queue.until != RequestLogState::Steady{}) {
    // %Tw runs from the end of the request head (HTTP) or the accept (TCP:
    // tcp-request inspection included, as HAProxy counts it) until a server
    // slot was had or waiting was given up; %Tc from then.
    RequestLogState::Steady from = s.head_done != RequestLogState::Steady{} ? s.head_done : s.start;
    r.Tw = std::max(0, ms_between(from, s.queue.until));
    r.Tc = ms_between(s.queue.until, s.connected);
  } else {
    r.Tc = ms_between(s.connect_start, s.connected);
    r.Tw = r.Tc < 0 ? -1 : 0;
  }
  r.srv_queue = s.queue.server_pos;
  r.backend_queue = s.queue.backend_pos;
  r.Tr = ms_between(s.connected, s.response_head);
  r.Ta = std::max(0, ms_between(s.start, now));
  r.Tt = r.Ta;
  r.status = s.status;
  r.bytes_out = s.bytes_out;
  r.bytes_in = s.bytes_in;
  r.term[0] = s.term[0];
  r.term[1] = s.term[1];
  // As HAProxy 2.6 counts at log time: %ac/%fc the connections open (this
  // one included), %bc the requests (HTTP) or connections (TCP) routed to
  // the backend, waiting in its queues included, and %sc those the server
  // is serving; both without this one, which HAProxy has released by then.
  // A waiter granted the slot this one freed counts in %bc, and in %sc only
  // once it has resumed and taken its connection (HAProxy's cur_sess).
  r.actconn = c.rt->sessions().current();
  r.feconn = c.fe->sessions().current();
  const std::uint64_t held = c.slot_held ? 1 : 0;
  if (c.be) {
    std::uint64_t in_flight = 0;
    bool queues = false;  // only servers with a maxconn have waiters (queued() takes the backend's lock)
    for (const auto& sv : c.be->servers()) {
      in_flight += sv->in_flight();
      queues |= sv->maxconn() != 0;
    }
    if (queues) in_flight += c.be->queued();
    r.beconn = in_flight > held ? in_flight - held : 0;
  }
  if (c.server) {
    std::uint64_t cur = c.server->sessions().current();
    r.srv_conn = s.srv_conn_at_release >= 0 ? static_cast<std::uint64_t>(s.srv_conn_at_release)
                 : cur > held                ? cur - held
                                             : 0;
  }
  if (c.req && s.has_request_line) {
    r.http = true;
    r.method = s.method;
    r.target = s.target;
    r.version = version_text(s.version);
  }
  // Configured captures always print (empty when the header was absent or
  // the response never came), so the fields keep their positions.
  std::size_t nreq = t.request_captures();
  for (std::size_t i = 0; i < t.captures().size(); ++i) {
    std::string_view v = i < s.captures.size() ? std::string_view(s.captures[i]) : std::string_view();
    (i < nreq ? r.request_captures : r.response_captures).push_back(v);
  }
  r.cookie_req = s.cookie_req;
  r.cookie_res = s.cookie_res;
  static const int pid = static_cast<int>(::getpid());
  r.pid = pid;
  bool error = s.status >= 500 || s.term[0] != '-';
  if (!c.eval) {
    t.write(r, error);
    return;
  }
  // %[...] parts read the request line from the copy (the fetches a log line
  // may use read no header: see log_format.h), never from the parsed head.
  http::RequestHead line;
  const http::RequestHead* head = c.eval->req;
  if (head && s.has_request_line) {
    line.method_text = s.method;
    line.target = s.target;
    line.version = s.version;
    c.eval->req = &line;
  } else {
    c.eval->req = nullptr;
  }
  r.ctx = c.eval;
  t.write(r, error);
  c.eval->req = head;
}

}  // namespace tandem::balancer::proxy
