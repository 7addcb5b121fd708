#include "balancer/http/chunked.h"

#include <algorithm>

#include "balancer/http/syntax.h"

namespace tandem::balancer::http {

using namespace syntax;

bool ChunkedDecoder::feed(std::string_view d, int bad_status, Step& step, ParseError& err) {
  std::size_t i = 0;
  auto fail = [&](std::string_view why) {
    err = ParseError{bad_status, why, offset_ + i};
    return false;
  };
  while (i < d.size() && state_ != State::done) {
    unsigned char c = static_cast<unsigned char>(d[i]);
    switch (state_) {
      case State::size:
        if (is(c, kHex)) {
          if (++digits_ > 16) return fail("chunk size too long");
          std::uint64_t v = static_cast<std::uint64_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
          if (remaining_ > (0x7fffffffffffffffULL - v) / 16) return fail("chunk size overflow");
          remaining_ = remaining_ * 16 + v;
          ++i;
        } else if (digits_ == 0) {
          return fail("invalid chunk size");
        } else if (c == ';' || c == ' ' || c == '\t') {
          // BWS before ';' is tolerated by RFC 9112 §7.1.1; extensions are skipped.
          state_ = State::extension;
          extension_bytes_ = 0;
          ++i;
        } else if (c == '\r') {
          state_ = State::size_lf;
          ++i;
        } else {
          return fail("invalid chunk size");
        }
        break;
      case State::extension:
        if (c == '\r') {
          state_ = State::size_lf;
        } else if (!is(c, kFieldValue)) {
          return fail("control character in a chunk extension");
        } else if (++extension_bytes_ > limits_.max_extension_bytes) {
          return fail("chunk extension too long");
        }
        ++i;
        break;
      case State::size_lf:
        if (c != '\n') return fail("chunk line without CRLF");
        ++i;
        digits_ = 0;
        state_ = remaining_ ? State::data : State::trailer_start;
        break;
      case State::data: {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, d.size() - i));
        remaining_ -= n;
        i += n;
        if (remaining_ == 0) state_ = State::data_cr;
        break;
      }
      case State::data_cr:
        if (c != '\r') return fail("chunk data not followed by CRLF");
        state_ = State::data_lf;
        ++i;
        break;
      case State::data_lf:
        if (c != '\n') return fail("chunk data not followed by CRLF");
        state_ = State::size;
        ++i;
        break;
      case State::trailer_start:
        if (c == '\r') {
          state_ = State::final_lf;
          ++i;
          break;
        }
        state_ = State::trailer_line;
        [[fallthrough]];
      case State::trailer_line:
        if (c == '\r') {
          state_ = State::trailer_lf;
        } else if (!is(c, kFieldValue)) {
          return fail("control character in a trailer");
        }
        if (++trailer_bytes_ > limits_.max_trailer_bytes) return fail("trailers too long");
        ++i;
        break;
      case State::trailer_lf:
        if (c != '\n') return fail("trailer line without CRLF");
        state_ = State::trailer_start;
        ++i;
        break;
      case State::final_lf:
        if (c != '\n') return fail("last chunk not followed by CRLF");
        state_ = State::done;
        ++i;
        break;
      case State::done:
        break;
    }
  }
  offset_ += i;
  step.consumed = i;
  step.done = state_ == State::done;
  return true;
}

}  // namespace tandem::balancer::http
