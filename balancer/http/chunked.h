#pragma once
// An incremental validator for the chunked transfer coding (RFC 9112 §7.1).
// It does not copy or decode: it walks the bytes, says how many belong to the
// message, and refuses anything malformed, so that the proxy can forward the
// raw bytes knowing the next hop will frame them exactly as it did.
//
// Refused: a chunk size that is not hex, longer than 16 digits or above
// 2^63-1; chunk lines without CRLF (a bare LF is not accepted inside chunked
// framing); chunk data not followed by CRLF; extensions or trailers longer
// than the limits; control bytes in extensions or trailers.

#include <cstdint>
#include <string_view>

#include "balancer/http/message.h"

namespace tandem::balancer::http {

class ChunkedDecoder {
 public:
  struct Limits {
    std::size_t max_extension_bytes = 4096;  // per chunk line
    std::size_t max_trailer_bytes = 16384;   // all trailers together
  };

  ChunkedDecoder() = default;
  explicit ChunkedDecoder(Limits limits) : limits_(limits) {}

  struct Step {
    std::size_t consumed = 0;  // bytes of `data` that belong to the message
    bool done = false;         // the last chunk and trailers were seen
  };

  // Feeds the next bytes. Returns how many belong to the body (all of them
  // unless the body ends inside `data`), or an error whose status is
  // `bad_status` (400 for requests, 502 for responses).
  bool feed(std::string_view data, int bad_status, Step& step, ParseError& err);

  bool done() const { return state_ == State::done; }
  void reset() { *this = ChunkedDecoder(limits_); }

 private:
  enum class State : std::uint8_t {
    size,          // hex digits
    extension,     // after ';' up to CR
    size_lf,       // expecting LF after the chunk line's CR
    data,          // `remaining_` data bytes
    data_cr,       // CR after data
    data_lf,       // LF after data
    trailer_start, // start of a trailer line (or the final CRLF)
    trailer_line,  // in a trailer line
    trailer_lf,    // LF after a trailer line's CR
    final_lf,      // LF of the final empty line
    done,
  };

  Limits limits_;
  State state_ = State::size;
  std::uint64_t remaining_ = 0;
  unsigned digits_ = 0;
  std::size_t extension_bytes_ = 0;
  std::size_t trailer_bytes_ = 0;
  std::size_t offset_ = 0;  // bytes consumed so far, for error offsets
};

}  // namespace tandem::balancer::http
