#pragma once
// Where the rules meet the stick tables: the tracked counters sc0..sc2 a
// session holds, samples turned into table keys, and the stick-counter
// fetches (sc_*, sc0_*..sc2_*, src_*) registered with the sample engine.

#include <array>

#include "balancer/rules/context.h"
#include "balancer/rules/rule_set.h"
#include "balancer/rules/sample.h"
#include "balancer/stick/stick_key.h"
#include "balancer/stick/stick_table.h"

namespace tandem::balancer::rules {

// One tracked counter (HAProxy's stkctr): the entry's reference and whether
// an http-request rule tracked it (it is then released when the request
// ends; connection-level ones when the connection ends).
struct TrackedCounter {
  stick::StickRef ref;
  bool request_level = false;
};

// `sample` in the canonical key form of `format`; false when it cannot key
// that table (absent, an IPv6 source in an ip table...).
bool sample_to_key(const Sample& sample, const stick::KeyFormat& format, stick::KeyBuf& out);

// Registers the stick-counter fetches once (idempotent, thread-safe).
void register_stick_fetches();

// The tracked counters of one connection, and the StickHooks the rules call.
// Single-threaded, like the session that owns it. Nothing here allocates.
class SessionCounters final : public StickHooks {
 public:
  SessionCounters() = default;
  SessionCounters(const SessionCounters&) = delete;
  SessionCounters& operator=(const SessionCounters&) = delete;
  ~SessionCounters() override { end_session(stick::StickNow{}); }

  // StickHooks.
  void track(EvalContext& ctx, int counter, const SampleExpr& key, const void* table, bool http) override;
  void inc_gpc(EvalContext& ctx, int counter, int gpc) override;
  void clr_gpc(EvalContext& ctx, int counter, int gpc) override;

  bool any() const { return sc_[0].ref || sc_[1].ref || sc_[2].ref; }
  // Inside an HTTP request (HTTP sessions, from the request's first rule):
  // `tcp-request content` tracks then belong to the request too, as in
  // HAProxy where each HTTP request is a stream of its own.
  void set_in_request(bool in) { in_request_ = in; }
  // Points `ctx.sc` at the counters tracked now.
  void attach(EvalContext& ctx);
  // A new HTTP request on the connection: counts it on the counters the
  // connection already tracks (http-request track-sc counts its own).
  void begin_request(stick::StickNow now);
  // The request ended: counts an HTTP error (HAProxy's http_err_cnt) and the
  // bytes, then releases the request-level counters.
  void end_request(stick::StickNow now, bool http_error, std::uint64_t bytes_in, std::uint64_t bytes_out);
  // Releases every counter (conn_cur--). A zero `now` releases without
  // refreshing expiry (destruction).
  void end_session(stick::StickNow now);
  // Bytes of a connection without requests (TCP mode).
  void count_bytes(stick::StickNow now, std::uint64_t bytes_in, std::uint64_t bytes_out);

 private:
  std::array<TrackedCounter, 3> sc_{};
  bool in_request_ = false;
};

}  // namespace tandem::balancer::rules
