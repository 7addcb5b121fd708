#include "balancer/logging/log_sink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "balancer/config/parse_util.h"
#include "common/log.h"
#include "common/strings.h"

namespace tandem::balancer::logging {

namespace {

constexpr std::array<std::string_view, 24> kFacilities = {
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2", "ftp",
    "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"};

int facility_number(std::string_view f) {
  for (std::size_t i = 0; i < kFacilities.size(); ++i)
    if (kFacilities[i] == f) return static_cast<int>(i);
  return 16;
}

}  // namespace

LogSink::~LogSink() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

LogSink::Header LogSink::header_for(const config::Proxy& proxy, const config::Global& g) {
  Header h;
  // The name log tooling written for HAProxy selects on, unless configured.
  if (!proxy.log_tag.empty()) h.tag = proxy.log_tag;
  else if (!g.log_tag.empty()) h.tag = g.log_tag;
  if (g.log_send_hostname) {
    h.host = *g.log_send_hostname;
    if (h.host.empty()) {
      char host[256] = {};
      ::gethostname(host, sizeof host - 1);
      h.host = host;
    }
  }
  return h;
}

Result<std::unique_ptr<LogSink>> LogSink::open(const config::LogTarget& t, std::string_view where,
                                               const Header& header) {
  std::unique_ptr<LogSink> s(new LogSink());
  s->facility_ = facility_number(t.facility);
  if (!t.level.empty()) s->max_severity_ = static_cast<int>(*tandem::log::parse_level(t.level));
  if (!t.min_level.empty()) s->min_severity_ = static_cast<int>(*tandem::log::parse_level(t.min_level));
  s->format_ = t.format.empty() ? "rfc3164" : t.format;
  s->max_len_ = t.max_len;
  s->pid_ = static_cast<int>(::getpid());
  s->header_ = header;
  std::string a = t.address;
  std::string err = cat(where, ": log ", a, ": ");
  if (a == "stdout" || a == "stderr") {
    s->fd_ = a == "stdout" ? 1 : 2;
    return s;
  }
  for (std::string_view p : {"unix@"})
    if (a.starts_with(p)) a = a.substr(p.size());
  if (a.starts_with("/")) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (a.size() >= sizeof sun.sun_path) return fail(err + "path too long");
    std::memcpy(sun.sun_path, a.data(), a.size());
    s->fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    s->owns_fd_ = true;
    if (s->fd_ < 0) return fail(err + std::strerror(errno));
    // Not connected yet is fine (syslogd may start later): connect now if
    // possible; send() retries the connect when it is not.
    (void)::connect(s->fd_, reinterpret_cast<sockaddr*>(&sun), sizeof sun);
    s->unix_path_ = a;
    return s;
  }
  for (std::string_view p : {"udp@", "udp4@", "udp6@", "ipv4@", "ipv6@"})
    if (a.starts_with(p)) a = a.substr(p.size());
  auto addr = config::parse_address(a, false, false, false);
  if (!addr) return fail(err + addr.error().message);
  std::uint16_t port = addr->port_lo ? addr->port_lo : 514;
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (addr->ipv6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    if (::inet_pton(AF_INET6, addr->host.c_str(), &s6->sin6_addr) != 1) return fail(err + "not an IPv6 address");
    len = sizeof *s6;
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    if (::inet_pton(AF_INET, addr->host.c_str(), &s4->sin_addr) != 1) return fail(err + "not an IPv4 address");
    len = sizeof *s4;
  }
  s->fd_ = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  s->owns_fd_ = true;
  if (s->fd_ < 0) return fail(err + std::strerror(errno));
  if (::connect(s->fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) return fail(err + std::strerror(errno));
  return s;
}

void LogSink::frame(std::string& out, std::string_view format, int facility, Severity s, std::int64_t unix_us,
                    std::string_view host, std::string_view tag, int pid, std::string_view msg, std::size_t max_len,
                    Target target) {
  out.clear();
  int pri = facility * 8 + static_cast<int>(s);
  char buf[96];
  std::time_t secs = static_cast<std::time_t>(unix_us / 1000000);
  std::tm tm{};
  if (format == "raw") {
    // nothing before the message
  } else if (format == "short") {
    std::snprintf(buf, sizeof buf, "<%d>", pri);
    out += buf;
  } else if (format == "rfc5424") {
    // RFC 5424 §6: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG,
    // the timestamp in local time with its offset, as HAProxy writes it.
    ::localtime_r(&secs, &tm);
    long off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0) off = -off;
    std::snprintf(buf, sizeof buf, "<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%06d%c%02ld:%02ld ", pri, tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_us % 1000000),
                  sign, off / 60, off % 60);
    append(out, buf, host.empty() ? std::string_view("-") : host, ' ', tag, ' ', pid, " - - ");
  } else {
    // RFC 3164 §4.1 as HAProxy writes it: <PRI>Mmm dd hh:mm:ss TAG[PID]: MSG
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    ::localtime_r(&secs, &tm);
    std::snprintf(buf, sizeof buf, "<%d>%s %2d %02d:%02d:%02d ", pri, kMonths[tm.tm_mon], tm.tm_mday, tm.tm_hour,
                  tm.tm_min, tm.tm_sec);
    out += buf;
    if (!host.empty()) append(out, host, ' ');  // log-send-hostname
    append(out, tag, '[', pid, "]: ");
  }
  out += msg;
  std::size_t text_max = target == Target::stream && max_len > 0 ? max_len - 1 : max_len;
  if (out.size() > text_max) out.resize(text_max);
  out += '\n';
}

void LogSink::send(Severity s, std::string_view msg, std::int64_t unix_us, std::string& scratch) {
  frame(scratch, format_, facility_, s, unix_us, header_.host, header_.tag, pid_, msg, max_len_,
        owns_fd_ ? Target::datagram : Target::stream);
  ssize_t n;
  if (!owns_fd_) {
    n = ::write(fd_, scratch.data(), scratch.size());
  } else {
    // A datagram keeps its newline, as HAProxy sends it (syslogd accepts both).
    n = ::send(fd_, scratch.data(), scratch.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && !unix_path_.empty() && (errno == ENOTCONN || errno == EDESTADDRREQ || errno == ECONNREFUSED)) {
      // syslogd was not there yet, or restarted: connect again (immediate
      // for a unix datagram socket) and send once more.
      sockaddr_un sun{};
      sun.sun_family = AF_UNIX;
      std::memcpy(sun.sun_path, unix_path_.data(), unix_path_.size());
      if (::connect(fd_, reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0)
        n = ::send(fd_, scratch.data(), scratch.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    }
  }
  if (n < 0) dropped_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace tandem::balancer::logging
