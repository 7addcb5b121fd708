#pragma once
// A frontend's traffic log: its line format (`log-format`, `option httplog`,
// `option tcplog`), its targets (its own `log` lines or `log global`), and
// the options that decide which lines are written.
//
// write() runs on workers: the line is formatted into a per-thread buffer
// kept between calls (no allocation once warm) and sent without blocking.

#include <memory>
#include <vector>

#include "balancer/config/model.h"
#include "balancer/logging/log_format.h"
#include "balancer/logging/log_sink.h"
#include "balancer/rules/sample.h"
#include "common/error.h"

namespace tandem::balancer::runtime {
class Runtime;
}

namespace tandem::balancer::logging {

class TrafficLog {
 public:
  // Null when the frontend logs nowhere (no `log` line, or `log global`
  // with no global one). `samples` resolves what %[...] parts name (tables,
  // backends) as the frontend's rules do: the same Resolver, with the
  // frontend's own table; see sample_resolver() below.
  static Result<std::unique_ptr<TrafficLog>> create(const config::Proxy& fe, const config::Global& g,
                                                    const rules::Resolver& samples);
  // Without a resolver: %[...] naming a table or a backend fails to compile.
  static Result<std::unique_ptr<TrafficLog>> create(const config::Proxy& fe, const config::Global& g);

  bool dontlognull() const { return dontlognull_; }
  const std::vector<config::Capture>& captures() const { return captures_; }
  std::size_t request_captures() const { return n_req_caps_; }
  // `capture cookie NAME len N`: NAME (empty: none) and N.
  const std::string& cookie_capture() const { return cookie_name_; }
  std::size_t cookie_capture_len() const { return cookie_len_; }
  // Anything to capture from the headers (header or cookie captures).
  bool captures_any() const { return !captures_.empty() || !cookie_name_.empty(); }
  // The line has %[...] parts: the session passes its rule context.
  bool uses_samples() const { return format_.uses_samples(); }

  // `error`: the request or connection failed (with `option
  // log-separate-errors` such lines go out at `err` instead of `info`).
  void write(const RequestLog& r, bool error) const;

 private:
  TrafficLog() = default;
  LogFormat format_;
  std::vector<std::unique_ptr<LogSink>> sinks_;
  std::vector<config::Capture> captures_;
  std::size_t n_req_caps_ = 0;
  std::string cookie_name_;
  std::size_t cookie_len_ = 0;
  bool dontlognull_ = false;
  bool separate_errors_ = false;
};

// What %[...] parts of `proxy`'s log-format may name: the runtime's
// backends, userlists and tables, the proxy's own table by default.
rules::Resolver sample_resolver(const runtime::Runtime& rt, std::string_view proxy);

// Compiles every frontend's log-format against the runtime, opening no log
// target: what `-c` can tell about %[...] parts (the configuration parser
// checks only their syntax).
Result<void> check_log_formats(const runtime::Runtime& rt);

}  // namespace tandem::balancer::logging
