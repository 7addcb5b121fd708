#include "balancer/stats/stats_page.h"

#include <algorithm>

#include "balancer/http/status.h"
#include "balancer/rules/userlist.h"
#include "common/strings.h"

namespace tandem::balancer::stats {

namespace {

void html_escape(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
}

std::string esc(std::string_view s) {
  std::string out;
  html_escape(out, s);
  return out;
}

std::string_view look_class(Look l) {
  switch (l) {
    case Look::active_up: return "up";
    case Look::active_going_down: return "going_down";
    case Look::active_down: return "down";
    case Look::active_going_up: return "going_up";
    case Look::active_nolb: return "nolb";
    case Look::active_drain: return "drain";
    case Look::active_maint: return "maint";
    case Look::backup_up: return "backup_up";
    case Look::backup_down: return "backup_down";
    case Look::no_check: return "no_check";
    case Look::frontend_open: return "frontend";
    case Look::backend_up: return "backend";
    case Look::backend_down: return "backend_down";
  }
  return "";
}

constexpr std::string_view kStyle = R"(
body{font-family:Arial,Helvetica,sans-serif;font-size:12px;margin:8px;color:#000;background:#fff}
h1{font-size:18px;margin:0 0 4px 0;color:#fff;background:#20377f;padding:6px}
h1 small{font-size:12px;font-weight:normal}
.info{display:flex;gap:24px;margin:6px 0 10px 0}
.info table td{padding:0 8px 0 0}
.legend td{padding:0 6px 0 0}
.sw{display:inline-block;width:14px;height:11px;border:1px solid #888;vertical-align:middle}
.sw.up{background:#c0ffc0}.sw.going_down{background:#ffffa0}.sw.down{background:#ff9090}
.sw.going_up{background:#e0d080}.sw.drain{background:#a0a0ff}.sw.maint{background:#c0c0ff}
.sw.backup_up{background:#c0ffff}.sw.no_check{background:#e0e0e0}
table.px{border-collapse:collapse;margin:0 0 14px 0;width:100%}
table.px th,table.px td{border:1px solid #999;padding:1px 4px;text-align:right;white-space:nowrap}
table.px th{background:#20377f;color:#fff;font-weight:normal}
table.px th.pxname{background:#6b8fd8;text-align:left;font-weight:bold;font-size:13px}
table.px td.name{text-align:left}
table.px td.status{text-align:center}
tr.frontend{background:#bbd2f9}tr.backend{background:#bbd2f9;font-weight:bold}
tr.backend_down{background:#ff9090;font-weight:bold}
tr.up{background:#c0ffc0}tr.going_down{background:#ffffa0}tr.down{background:#ff9090}
tr.going_up{background:#e0d080}tr.nolb{background:#a0a0ff}tr.drain{background:#a0a0ff}
tr.maint{background:#c0c0ff}tr.backup_up{background:#c0ffff}tr.backup_down{background:#ff9090}
tr.no_check{background:#e0e0e0}
.msg{padding:4px;margin:6px 0;border:1px solid #080;background:#cfc}
.msg.err{border-color:#800;background:#fcc}
.admin{margin:2px 0 0 0}
)";

struct Legend {
  std::string_view cls, text;
};
constexpr Legend kLegend[] = {
    {"up", "active UP"},          {"backup_up", "backup UP"},        {"going_down", "active UP, going down"},
    {"going_up", "active DOWN, going up"}, {"down", "active or backup DOWN"}, {"no_check", "not checked"},
    {"maint", "active or backup in MAINT"}, {"drain", "active or backup DRAINING (or NOLB)"},
};

std::string cell(const StatRow& r, Col c) { return esc(r[c].text()); }

// One table row: the same columns for frontend, server and backend rows.
void row_html(std::string& out, const StatRow& r, bool admin, std::uint64_t now_unused) {
  (void)now_unused;
  append(out, "<tr class=\"", look_class(r.look), "\">");
  if (admin) {
    if (r.type == ObjType::server)
      append(out, "<td><input type=\"checkbox\" name=\"s\" value=\"", esc(r.str(Col::svname)), "\"></td>");
    else
      out += "<td></td>";
  }
  std::string name = r.type == ObjType::frontend ? "Frontend" : r.type == ObjType::backend ? "Backend" : r.str(Col::svname);
  append(out, "<td class=\"name\">", esc(name), "</td>");
  bool srv = r.type == ObjType::server;
  bool fe = r.type == ObjType::frontend;
  // Queue
  append(out, "<td>", cell(r, Col::qcur), "</td><td>", cell(r, Col::qmax), "</td><td>", cell(r, Col::qlimit), "</td>");
  // Session rate
  append(out, "<td>", cell(r, Col::rate), "</td><td>", cell(r, Col::rate_max), "</td><td>",
         fe ? cell(r, Col::rate_lim) : std::string(), "</td>");
  // Sessions
  append(out, "<td>", cell(r, Col::scur), "</td><td>", cell(r, Col::smax), "</td><td>", cell(r, Col::slim), "</td><td>",
         cell(r, Col::stot), "</td><td>", fe ? std::string() : cell(r, Col::lbtot), "</td>");
  // Bytes
  append(out, "<td>", cell(r, Col::bin), "</td><td>", cell(r, Col::bout), "</td>");
  // Denied
  append(out, "<td>", cell(r, Col::dreq), "</td><td>", cell(r, Col::dresp), "</td>");
  // Errors
  append(out, "<td>", cell(r, Col::ereq), "</td><td>", cell(r, Col::econ), "</td><td>", cell(r, Col::eresp), "</td>");
  // Warnings
  append(out, "<td>", cell(r, Col::wretr), "</td><td>", cell(r, Col::wredis), "</td>");
  // Server
  std::string status = r.str(Col::status);
  if (!fe && !r[Col::lastchg].empty()) status = cat(short_duration(r.num(Col::lastchg)), ' ', status);
  append(out, "<td class=\"status\">", esc(status), "</td>");
  std::string lastchk;
  if (srv && !r[Col::check_status].empty()) {
    lastchk = r.str(Col::check_status);
    if (!r[Col::check_code].empty()) append(lastchk, "/", r.num(Col::check_code));
    if (!r[Col::check_duration].empty()) append(lastchk, " in ", r.num(Col::check_duration), "ms");
    if (!r.str(Col::last_chk).empty()) append(lastchk, " (", r.str(Col::last_chk), ")");
  }
  append(out, "<td class=\"name\" title=\"", esc(r.str(Col::check_desc)), "\">", esc(lastchk), "</td>");
  append(out, "<td>", fe ? std::string() : cat(r.num(Col::weight), "/", r.num(Col::uweight)), "</td>");
  append(out, "<td>", srv ? (r.num(Col::act) ? "Y" : "-") : cell(r, Col::act), "</td><td>",
         srv ? (r.num(Col::bck) ? "Y" : "-") : cell(r, Col::bck), "</td>");
  append(out, "<td>", cell(r, Col::chkfail), "</td><td>", cell(r, Col::chkdown), "</td><td>",
         r[Col::downtime].empty() ? std::string() : short_duration(r.num(Col::downtime)), "</td><td>",
         r[Col::throttle].empty() ? std::string("-") : cat(r.num(Col::throttle), " %"), "</td>");
  out += "</tr>\n";
}

constexpr std::string_view kHead =
    "<tr><th rowspan=2 class=\"name\">Name</th><th colspan=3>Queue</th><th colspan=3>Session rate</th>"
    "<th colspan=5>Sessions</th><th colspan=2>Bytes</th><th colspan=2>Denied</th><th colspan=3>Errors</th>"
    "<th colspan=2>Warnings</th><th colspan=9>Server</th></tr>\n"
    "<tr><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th>"
    "<th>Limit</th><th>Total</th><th>LbTot</th><th>In</th><th>Out</th><th>Req</th><th>Resp</th><th>Req</th>"
    "<th>Conn</th><th>Resp</th><th>Retr</th><th>Redis</th><th>Status</th><th>LastChk</th><th>Wght</th>"
    "<th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th><th>Dwntme</th><th>Thrtle</th></tr>\n";

std::string response(int status, std::string_view content_type, std::string_view extra, const std::string& body,
                     bool keep_alive) {
  std::string r = cat("HTTP/1.1 ", status, ' ', http::reason_phrase(status), "\r\ncache-control: no-cache\r\n");
  if (!content_type.empty()) append(r, "content-type: ", content_type, "\r\n");
  append(r, extra, "content-length: ", body.size(), "\r\n", keep_alive ? "" : "connection: close\r\n", "\r\n", body);
  return r;
}

bool authorized(const config::StatsPage& page, std::string_view authorization) {
  if (page.users.empty()) return true;
  if (authorization.size() < 6 || !iequals(authorization.substr(0, 6), "basic ")) return false;
  std::string_view cred = authorization.substr(6);
  while (!cred.empty() && cred.front() == ' ') cred.remove_prefix(1);
  auto decoded = rules::base64_decode(cred);
  if (!decoded) return false;
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  std::string_view user = std::string_view(*decoded).substr(0, colon);
  std::string_view pass = std::string_view(*decoded).substr(colon + 1);
  for (const auto& [u, p] : page.users)
    if (u == user && p == pass) return true;
  return false;
}

}  // namespace

std::string short_duration(std::uint64_t s) {
  if (s < 60) return cat(s, "s");
  if (s < 3600) return cat(s / 60, "m", s % 60, "s");
  if (s < 86400) return cat(s / 3600, "h", (s % 3600) / 60, "m");
  return cat(s / 86400, "d", (s % 86400) / 3600, "h");
}

std::string form_decode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

bool is_stats_request(const config::StatsPage& page, std::string_view target) {
  return page.enabled && target.starts_with(page.uri);
}

std::string render_html(const config::StatsPage& page, const PageView& view, const std::vector<StatRow>& rows,
                        const StatsSource& src) {
  const ProcessInfo& pi = src.process();
  std::int64_t uptime = StatsSource::unix_s() - pi.start_unix_s;
  std::string out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Statistics Report for ";
  append(out, esc(pi.name), "</title>\n");
  if (view.refresh && page.refresh.count())
    append(out, "<meta http-equiv=\"refresh\" content=\"", page.refresh.count() / 1000, "\">\n");
  append(out, "<style>", kStyle, "</style></head>\n<body>\n<h1>", esc(pi.name));
  if (!page.hide_version) append(out, " version ", esc(pi.version));
  append(out, " <small>Statistics Report for pid ", pi.pid, cat(" on ", esc(pi.node)),
         "</small></h1>\n");
  if (!page.show_desc.empty()) append(out, "<p>", esc(page.show_desc), "</p>\n");
  if (!view.message.empty())
    append(out, "<div class=\"msg", view.message.starts_with("Action processed") ? "" : " err", "\" id=\"message\">",
           esc(view.message), "</div>\n");

  // Process information and the colour legend, side by side.
  std::uint64_t cur_conns = src.current_connections();
  append(out, "<div class=\"info\"><table id=\"process\"><tr><td><b>pid</b> = ", pi.pid, "</td></tr><tr><td><b>uptime</b> = ",
         short_duration(static_cast<std::uint64_t>(std::max<std::int64_t>(0, uptime))),
         "</td></tr><tr><td><b>system limits</b>: maxconn = ", src.runtime().maxconn(), "; nbthread = ", pi.threads,
         "</td></tr><tr><td><b>current conns</b> = ", cur_conns, "</td></tr></table>\n<table class=\"legend\">");
  for (size_t i = 0; i < std::size(kLegend); i += 2) {
    out += "<tr>";
    for (size_t j = i; j < i + 2 && j < std::size(kLegend); ++j)
      append(out, "<td><span class=\"sw ", kLegend[j].cls, "\"></span> ", kLegend[j].text, "</td>");
    out += "</tr>";
  }
  out += "</table></div>\n";

  // One table per proxy, rows in HAProxy's order.
  std::string current;
  bool open = false;
  auto close_table = [&] {
    if (!open) return;
    out += "</table>\n";
    if (view.admin && !current.empty()) {
      bool has_servers = false;
      for (const StatRow& r : rows) has_servers |= r.type == ObjType::server && r.str(Col::pxname) == current;
      if (has_servers)
        append(out,
               "<div class=\"admin\">Choose the action to perform on the checked servers: <select name=\"action\">"
               "<option value=\"\"></option><option value=\"ready\">Set state to READY</option>"
               "<option value=\"drain\">Set state to DRAIN</option><option value=\"maint\">Set state to MAINT</option>"
               "</select><input type=\"hidden\" name=\"b\" value=\"",
               esc(current), "\"><input type=\"submit\" value=\"Apply\"></div>\n");
    }
    if (view.admin) out += "</form>\n";
    out += "<br>\n";
    open = false;
  };
  for (const StatRow& r : rows) {
    const std::string& px = r.str(Col::pxname);
    if (!open || px != current) {
      close_table();
      current = px;
      if (view.admin) append(out, "<form method=\"post\" action=\"", esc(page.uri), "\">\n");
      append(out, "<table class=\"px\" id=\"px-", esc(px), "\"><tr><th class=\"pxname\" colspan=\"", view.admin ? 31 : 30,
             "\"><a name=\"", esc(px), "\"></a>", esc(px));
      if (page.show_legends)
        append(out, " <small>(mode ", esc(r.str(Col::mode)), r[Col::algo].empty() ? "" : cat(", balance ", esc(r.str(Col::algo))),
               ", id ", r.num(Col::iid), ")</small>");
      out += "</th></tr>\n";
      if (view.admin) {
        std::string head(kHead);
        head.insert(4, "<th rowspan=2></th>");
        out += head;
      } else {
        out += kHead;
      }
      open = true;
    }
    row_html(out, r, view.admin, 0);
  }
  close_table();
  out += "<p><small>Tandem statistics page; also as <a href=\"" + esc(page.uri) + ";csv\">CSV</a> and <a href=\"" +
         esc(page.uri) + ";json\">JSON</a>.</small></p>\n</body></html>\n";
  return out;
}

namespace {
PageResponse serve_any(const config::StatsPage& page, const PageRequest& req, StatsSource& src);
}

// HEAD gets GET's head (same content-length) and no body.
PageResponse serve_stats(const config::StatsPage& page, const PageRequest& req, StatsSource& src) {
  PageResponse r = serve_any(page, req, src);
  r.close = !req.keep_alive;  // every answer here says `connection: close` exactly then
  if (req.method == "HEAD") {
    auto end = r.bytes.find("\r\n\r\n");
    if (end != std::string::npos) r.bytes.resize(end + 4);
  }
  return r;
}

namespace {

// `stats scope`: only the named proxies' rows (all without the keyword).
std::vector<StatRow> in_scope(const config::StatsPage& page, std::vector<StatRow> rows) {
  if (page.scope.empty()) return rows;
  std::erase_if(rows, [&](const StatRow& r) {
    return std::none_of(page.scope.begin(), page.scope.end(), [&](const auto& sc) { return sc.name == r.str(Col::pxname); });
  });
  return rows;
}

PageResponse serve_any(const config::StatsPage& page, const PageRequest& req, StatsSource& src) {
  if (req.access == PageRequest::Access::deny)
    return {403, response(403, "text/html", "",
                          "<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n",
                          req.keep_alive)};
  if (req.access == PageRequest::Access::auth ||
      (req.access == PageRequest::Access::none && !authorized(page, req.authorization))) {
    std::string realm = req.access == PageRequest::Access::auth ? std::string(req.realm) : page.realm;
    if (realm.empty()) realm = "HAProxy Statistics";
    std::string body = "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n";
    return {401, response(401, "text/html", cat("www-authenticate: Basic realm=\"", realm, "\"\r\n"), body, req.keep_alive)};
  }
  std::string_view rest = req.target.substr(page.uri.size());
  auto has = [&](std::string_view opt) { return rest.find(opt) != std::string_view::npos; };

  if (req.method == "POST") {
    if (!req.admin_allowed) {
      return {303, response(303, "", cat("location: ", page.uri, ";st=DENY\r\n"), "", req.keep_alive)};
    }
    std::string backend, action;
    std::vector<std::string> servers;
    std::string_view body = req.body;
    while (!body.empty()) {
      size_t amp = body.find('&');
      std::string_view kv = body.substr(0, amp);
      body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
      size_t eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      std::string k = form_decode(kv.substr(0, eq)), v = form_decode(kv.substr(eq + 1));
      if (k == "b") backend = v;
      else if (k == "action") action = v;
      else if (k == "s") servers.push_back(v);
    }
    std::string st = "DONE";
    StatsSource::Action a = StatsSource::Action::ready;
    if (action == "ready") a = StatsSource::Action::ready;
    else if (action == "drain") a = StatsSource::Action::drain;
    else if (action == "maint") a = StatsSource::Action::maint;
    else st = "ERRP";
    if (st == "DONE" && servers.empty()) st = "NONE";
    // A backend the page does not show cannot be acted on through it.
    if (st == "DONE" && !page.scope.empty() &&
        std::none_of(page.scope.begin(), page.scope.end(), [&](const auto& sc) { return sc.name == backend; }))
      st = "DENY";
    if (st == "DONE")
      for (const std::string& s : servers)
        if (!src.set_state(backend, s, a, "the stats page")) st = "PART";
    return {303, response(303, "", cat("location: ", page.uri, ";st=", st, "\r\n"), "", req.keep_alive)};
  }
  if (req.method != "GET" && req.method != "HEAD") {
    std::string body = "<html><body><h1>405 Method Not Allowed</h1></body></html>\n";
    return {405, response(405, "text/html", "allow: GET, HEAD, POST\r\n", body, req.keep_alive)};
  }

  std::vector<StatRow> rows = in_scope(page, src.rows());
  if (has(";csv")) return {200, response(200, "text/plain", "", render_csv(rows), req.keep_alive)};
  if (has(";json")) return {200, response(200, "application/json", "", render_json(rows), req.keep_alive)};
  PageView view;
  view.admin = req.admin_allowed;
  view.refresh = !has(";norefresh");
  if (has(";st=DONE")) view.message = "Action processed successfully.";
  else if (has(";st=NONE")) view.message = "Nothing has changed.";
  else if (has(";st=PART")) view.message = "Action not processed: a server named in the request does not exist.";
  else if (has(";st=ERRP")) view.message = "Action not processed because of invalid parameters.";
  else if (has(";st=DENY")) view.message = "Action denied.";
  return {200, response(200, "text/html", "", render_html(page, view, rows, src), req.keep_alive)};
}

}  // namespace

}  // namespace tandem::balancer::stats
