#include "balancer/logging/log_format.h"

#include <arpa/inet.h>

#include <ctime>

#include "balancer/rules/sample.h"
#include "common/strings.h"

namespace tandem::balancer::logging {

namespace {

// "21/Nov/2026:03:50:01.123" (HAProxy's %t and %tr), in local time as HAProxy.
void date(std::string& out, std::int64_t unix_us) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t s = static_cast<std::time_t>(unix_us / 1000000);
  std::tm tm{};
  ::localtime_r(&s, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02d/%s/%04d:%02d:%02d:%02d.%03d", tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>((unix_us / 1000) % 1000));
  out += buf;
}

void num(std::string& out, std::int64_t v) {
  char buf[24];
  auto n = std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  out.append(buf, static_cast<std::size_t>(n));
}

void captures(std::string& out, const std::vector<std::string_view>& caps) {
  out += '{';
  for (std::size_t i = 0; i < caps.size(); ++i) {
    if (i) out += '|';
    out += caps[i];
  }
  out += '}';
}

struct Name {
  std::string_view name;
  int var;
};

// Fetches that read the request or the response but that HAProxy still
// allows in a log line: the transaction keeps these past the headers.
bool readable_at_log_time(const rules::SampleExpr& e) {
  constexpr std::string_view kKept[] = {"method", "status", "capture.req.method", "capture.req.uri", "capture.req.ver",
                                        "capture.res.ver"};
  if (!(e.needs() & (rules::kNeedRequest | rules::kNeedResponse))) return true;
  for (std::string_view k : kKept)
    if (e.fetch_name() == k) return true;
  return false;
}

// `capture.req.hdr(N)` / `capture.res.hdr(N)`: the slot N, or -1 when
// `text` is not one of them.
long long capture_slot(std::string_view text, std::string_view prefix) {
  if (!text.starts_with(prefix) || text.back() != ')') return -1;
  unsigned long long n = 0;
  if (!parse_uint(text.substr(prefix.size(), text.size() - prefix.size() - 1), n) || n > 64) return -1;
  return static_cast<long long>(n);
}

void text_field(std::string& out, std::string_view v, bool quote) {
  // HAProxy prints an absent or empty value as "-", or as "" when quoted.
  if (quote) out += '"';
  if (!v.empty()) out += v;
  else if (!quote) out += '-';
  if (quote) out += '"';
}

void sample_field(std::string& out, const rules::Sample& s, bool quote) {
  using T = rules::Sample::Type;
  switch (s.type) {
    case T::none: text_field(out, {}, quote); return;
    case T::str: text_field(out, s.s, quote); return;
    case T::boolean: text_field(out, s.b ? "1" : "0", quote); return;
    case T::integer: {
      char buf[24];
      auto n = std::snprintf(buf, sizeof buf, "%lld", s.i);
      text_field(out, std::string_view(buf, static_cast<std::size_t>(n)), quote);
      return;
    }
    case T::ip: {
      // Without the allocation of address::to_string().
      char buf[INET6_ADDRSTRLEN] = {};
      if (s.ip.is_v4()) {
        auto b = s.ip.to_v4().to_bytes();
        ::inet_ntop(AF_INET, b.data(), buf, sizeof buf);
      } else {
        auto b = s.ip.to_v6().to_bytes();
        ::inet_ntop(AF_INET6, b.data(), buf, sizeof buf);
      }
      text_field(out, buf, quote);
      return;
    }
  }
}

}  // namespace

void set_termination(RequestLog& r, char who, char phase) {
  r.term[0] = who;
  r.term[1] = phase;
}

Result<LogFormat> LogFormat::parse(std::string_view text, std::string_view where, const rules::Resolver* samples) {
  static constexpr Name kNames[] = {
      {"ci", int(Var::ci)}, {"cp", int(Var::cp)}, {"fi", int(Var::fi)}, {"fp", int(Var::fp)}, {"si", int(Var::si)},
      {"sp", int(Var::sp)}, {"ft", int(Var::ft)}, {"f", int(Var::f)}, {"b", int(Var::b)}, {"s", int(Var::s)},
      {"t", int(Var::t)}, {"tr", int(Var::tr)}, {"T", int(Var::T)}, {"pid", int(Var::pid)}, {"H", int(Var::H)},
      {"ST", int(Var::ST)}, {"B", int(Var::B)}, {"U", int(Var::U)}, {"Th", int(Var::Th)}, {"Ti", int(Var::Ti)},
      {"TR", int(Var::TR)}, {"Tw", int(Var::Tw)}, {"Tc", int(Var::Tc)}, {"Tr", int(Var::Tr)}, {"Ta", int(Var::Ta)},
      {"Tt", int(Var::Tt)}, {"Tq", int(Var::Tq)}, {"ts", int(Var::ts)}, {"tsc", int(Var::tsc)}, {"ac", int(Var::ac)},
      {"fc", int(Var::fc)}, {"bc", int(Var::bc)}, {"sc", int(Var::sc)}, {"rc", int(Var::rc)}, {"sq", int(Var::sq)},
      {"bq", int(Var::bq)}, {"hr", int(Var::hr)}, {"hs", int(Var::hs)}, {"hrl", int(Var::hrl)}, {"hsl", int(Var::hsl)},
      {"r", int(Var::r)}, {"HM", int(Var::HM)}, {"HU", int(Var::HU)}, {"HP", int(Var::HP)}, {"HQ", int(Var::HQ)},
      {"HV", int(Var::HV)}, {"CC", int(Var::CC)}, {"CS", int(Var::CS)}, {"ms", int(Var::ms)},
  };
  LogFormat f;
  std::string lit;
  auto flush = [&] {
    if (lit.empty()) return;
    f.parts_.push_back(Part{Var::literal, std::move(lit), false});
    lit.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      lit += text[++i];
      continue;
    }
    if (c != '%') {
      lit += c;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '%') {
      lit += '%';
      ++i;
      continue;
    }
    bool quote = false;
    std::size_t j = i + 1;
    if (j < text.size() && text[j] == '{') {
      std::size_t close = text.find('}', j);
      if (close == std::string_view::npos) return fail(cat(where, ": log-format: missing '}' after '%{'"));
      std::string_view opts = text.substr(j + 1, close - j - 1);
      for (std::size_t k = 0; k < opts.size();) {
        std::size_t comma = opts.find(',', k);
        std::string_view o = opts.substr(k, comma == std::string_view::npos ? std::string_view::npos : comma - k);
        if (o == "+Q") quote = true;
        else if (o != "-Q" && o != "+X" && o != "-X" && o != "+E" && o != "-E")
          return fail(cat(where, ": log-format: unknown option '", o, "'"));
        if (comma == std::string_view::npos) break;
        k = comma + 1;
      }
      j = close + 1;
    }
    if (j < text.size() && text[j] == '[') {
      std::size_t close = text.find(']', j);
      if (close == std::string_view::npos) return fail(cat(where, ": log-format: missing ']' after '%['"));
      std::string_view expr = text.substr(j + 1, close - j - 1);
      if (expr.empty()) return fail(cat(where, ": log-format: empty sample expression '%[]'"));
      flush();
      Part part{Var::sample, {}, quote};
      long long req_slot = capture_slot(expr, "capture.req.hdr(");
      long long res_slot = capture_slot(expr, "capture.res.hdr(");
      if (req_slot >= 0 || res_slot >= 0) {
        part.var = req_slot >= 0 ? Var::capture_req : Var::capture_res;
        part.index = static_cast<std::size_t>(req_slot >= 0 ? req_slot : res_slot);
      } else if (expr.starts_with("capture.req.hdr") || expr.starts_with("capture.res.hdr")) {
        // The slots are the log's own; converters on them are not wired.
        return fail(cat(where, ": log-format: '", expr,
                        "': capture.req.hdr/capture.res.hdr take a slot number (0..64) and no converter"));
      } else if (samples) {
        auto e = rules::SampleExpr::parse(expr, *samples, cat(where, ": log-format"));
        if (!e) return std::unexpected(e.error());
        if (!readable_at_log_time(*e))
          return fail(cat(where, ": log-format: sample fetch '", e->fetch_name(),
                          "' cannot be used in a log line: it reads the HTTP ",
                          (e->needs() & rules::kNeedResponse) ? "response" : "request",
                          " headers, which are gone when the line is written (HAProxy refuses it too); log them with "
                          "'capture request|response header' and %[capture.req.hdr(N)], or copy them with "
                          "'http-request set-var(txn.NAME)' and %[var(txn.NAME)]"));
        part.expr = std::make_shared<const rules::SampleExpr>(std::move(*e));
      }
      f.uses_samples_ = true;
      f.parts_.push_back(std::move(part));
      i = close;
      continue;
    }
    std::size_t e = j;
    while (e < text.size() && (std::isalnum(static_cast<unsigned char>(text[e])))) ++e;
    std::string_view name = text.substr(j, e - j);
    // The longest known name that prefixes what follows ("%Tw/%Tc" -> Tw).
    const Name* best = nullptr;
    for (const Name& n : kNames)
      if (name.starts_with(n.name) && (!best || n.name.size() > best->name.size())) best = &n;
    if (!best) return fail(cat(where, ": log-format: unknown variable '%", name, "'"));
    flush();
    f.parts_.push_back(Part{static_cast<Var>(best->var), {}, quote});
    i = j + best->name.size() - 1;
  }
  flush();
  return f;
}

void LogFormat::render(const RequestLog& r, std::string& out) const {
  auto term = [&](bool cookies) {
    out += r.term[0];
    out += r.term[1];
    if (cookies) out += "--";
  };
  for (const Part& p : parts_) {
    switch (p.var) {
      case Var::literal: out += p.text; break;
      case Var::ci: out += r.client_ip; break;
      case Var::cp: num(out, r.client_port); break;
      case Var::fi: out += r.frontend_ip; break;
      case Var::fp: num(out, r.frontend_port); break;
      case Var::si: out += r.server_ip.empty() ? "-" : r.server_ip; break;
      case Var::sp: num(out, r.server_port); break;
      case Var::ft:
      case Var::f: out += r.frontend; break;
      case Var::b: out += r.backend.empty() ? r.frontend : r.backend; break;
      case Var::s: out += r.server.empty() ? "<NOSRV>" : r.server; break;
      case Var::t: date(out, r.accept_unix_us); break;
      case Var::tr: date(out, r.request_unix_us ? r.request_unix_us : r.accept_unix_us); break;
      case Var::T: num(out, r.accept_unix_us / 1000000); break;
      case Var::ms: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "%03d", static_cast<int>((r.accept_unix_us / 1000) % 1000));
        out += buf;
        break;
      }
      case Var::pid: num(out, r.pid); break;
      case Var::H: out += r.hostname; break;
      case Var::ST: num(out, r.status); break;
      case Var::B: num(out, static_cast<std::int64_t>(r.bytes_out)); break;
      case Var::U: num(out, static_cast<std::int64_t>(r.bytes_in)); break;
      case Var::Th: num(out, r.Th); break;
      case Var::Ti: num(out, r.Ti); break;
      case Var::TR: num(out, r.TR); break;
      case Var::Tq: num(out, r.TR < 0 ? -1 : r.Th + r.Ti + r.TR); break;
      case Var::Tw: num(out, r.Tw); break;
      case Var::Tc: num(out, r.Tc); break;
      case Var::Tr: num(out, r.Tr); break;
      case Var::Ta: num(out, r.Ta); break;
      case Var::Tt: num(out, r.Tt); break;
      case Var::ts: term(false); break;
      case Var::tsc: term(true); break;
      case Var::ac: num(out, static_cast<std::int64_t>(r.actconn)); break;
      case Var::fc: num(out, static_cast<std::int64_t>(r.feconn)); break;
      case Var::bc: num(out, static_cast<std::int64_t>(r.beconn)); break;
      case Var::sc: num(out, static_cast<std::int64_t>(r.srv_conn)); break;
      case Var::rc: num(out, static_cast<std::int64_t>(r.retries)); break;
      case Var::sq: num(out, static_cast<std::int64_t>(r.srv_queue)); break;
      case Var::bq: num(out, static_cast<std::int64_t>(r.backend_queue)); break;
      case Var::hr:
      case Var::hrl:
        // HAProxy prints nothing (and drops the following space) without captures.
        if (!r.request_captures.empty()) captures(out, r.request_captures);
        else if (!out.empty() && out.back() == ' ') out.pop_back();
        break;
      case Var::hs:
      case Var::hsl:
        if (!r.response_captures.empty()) captures(out, r.response_captures);
        else if (!out.empty() && out.back() == ' ') out.pop_back();
        break;
      case Var::r:
        if (p.quote) out += '"';
        if (r.method.empty()) out += "<BADREQ>";
        else append(out, r.method, ' ', r.target, ' ', r.version);
        if (p.quote) out += '"';
        break;
      case Var::HM: out += r.method; break;
      case Var::HU: out += r.target; break;
      case Var::HP: out += r.target.substr(0, r.target.find('?')); break;
      case Var::HQ: {
        auto q = r.target.find('?');
        if (q != std::string_view::npos) out += r.target.substr(q);
        break;
      }
      case Var::HV: out += r.version; break;
      case Var::CC: text_field(out, r.cookie_req, p.quote); break;
      case Var::CS: text_field(out, r.cookie_res, p.quote); break;
      case Var::capture_req:
      case Var::capture_res: {
        const auto& caps = p.var == Var::capture_req ? r.request_captures : r.response_captures;
        text_field(out, p.index < caps.size() ? caps[p.index] : std::string_view(), p.quote);
        break;
      }
      case Var::sample:
        if (p.expr && r.ctx) sample_field(out, p.expr->eval(*r.ctx), p.quote);
        else text_field(out, {}, p.quote);
        break;
    }
  }
}

}  // namespace tandem::balancer::logging
