#pragma once
// Where traffic log lines go: one `log` target (a unix datagram socket such
// as /dev/log, UDP, stdout or stderr), with its syslog framing (rfc3164,
// rfc5424, short, raw), facility, level filter and `len` limit.
//
// Sending never blocks a worker: sockets are non-blocking datagram sockets
// (one datagram per line, so workers share them without locks); a line the
// kernel cannot take now is dropped and counted, as HAProxy does.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "balancer/config/model.h"
#include "common/error.h"

namespace tandem::balancer::logging {

// syslog severities (RFC 5424 §6.2.1).
enum class Severity : std::uint8_t { emerg, alert, crit, err, warning, notice, info, debug };

class LogSink {
 public:
  // The syslog header's names: the tag (`log-tag`, HAProxy's default
  // "haproxy") and the hostname (`log-send-hostname`; empty: none).
  struct Header {
    std::string tag{"haproxy"};
    std::string host;
  };
  // Opens the target. `where` prefixes errors ("FILE:LINE").
  static Result<std::unique_ptr<LogSink>> open(const config::LogTarget& t, std::string_view where,
                                               const Header& header);
  // The header `proxy`'s lines carry: its log-tag, else the global one; the
  // global log-send-hostname.
  static Header header_for(const config::Proxy& proxy, const config::Global& g);
  ~LogSink();
  LogSink(const LogSink&) = delete;
  LogSink& operator=(const LogSink&) = delete;

  // Whether a line at `s` passes the target's level filter.
  bool accepts(Severity s) const { return static_cast<int>(s) <= max_severity_ && static_cast<int>(s) >= min_severity_; }
  // Frames `msg` into `scratch` (reused, so no allocation once warm) and sends it.
  void send(Severity s, std::string_view msg, std::int64_t unix_us, std::string& scratch);
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

  // The framing alone (tests). `host` empty: none (rfc5424 prints "-").
  // Every line ends with '\n', as HAProxy sends it. `len` (max_len) counts
  // that newline on a stream (stdout/stderr) but not in a datagram: HAProxy
  // cuts a datagram's text at len and then adds the newline.
  enum class Target : std::uint8_t { datagram, stream };
  static void frame(std::string& out, std::string_view format, int facility, Severity s, std::int64_t unix_us,
                    std::string_view host, std::string_view tag, int pid, std::string_view msg, std::size_t max_len,
                    Target target = Target::datagram);

 private:
  LogSink() = default;
  int fd_ = -1;
  bool owns_fd_ = false;
  std::string unix_path_;  // a unix datagram target: reconnected when syslogd restarted
  int facility_ = 16;  // local0
  int max_severity_ = 7;
  int min_severity_ = 0;
  std::string format_ = "rfc3164";
  std::size_t max_len_ = 1024;
  Header header_;
  int pid_ = 0;
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace tandem::balancer::logging
