// A health check's view of a server's answer: any bytes give a verdict (or a
// request for more, before EOF), never a crash; at EOF there is always a verdict.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "balancer/health/check_eval.h"

using namespace tandem::balancer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  config::CheckSpec spec;
  spec.kind = config::CheckSpec::Kind::http;
  spec.disable_on_404 = data[0] & 1;
  if (data[0] & 2) {
    config::HttpCheckExpect e;
    e.kind = config::HttpCheckExpect::Kind::string;
    e.pattern = "OK";
    spec.expects.push_back(e);
  }
  if (data[0] & 4) {
    config::HttpCheckExpect e;
    e.kind = config::HttpCheckExpect::Kind::status;
    e.statuses = {{200, 299}};
    e.negate = data[0] & 8;
    spec.expects.push_back(e);
  }
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  (void)health::judge_http(spec, in, false);
  auto at_eof = health::judge_http(spec, in, true);
  if (!at_eof) __builtin_trap();
  config::TcpCheckStep step;
  step.kind = config::TcpCheckStep::Kind::expect;
  step.data = "+PONG";
  step.negate = data[0] & 16;
  if (health::judge_tcp_expect(step, in, true) == health::Match::need_more) __builtin_trap();
  return 0;
}
