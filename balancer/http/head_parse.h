#pragma once
// What the request and response parsers share: finding where a head ends, and
// parsing header field lines. Internal to balancer/http.

#include <cstddef>
#include <string_view>
#include <vector>

#include "balancer/http/message.h"

namespace tandem::balancer::http::detail {

inline constexpr std::size_t npos = std::string_view::npos;

// Skips empty lines before a message (RFC 9112 §2.2 lets a server ignore
// them); returns where the start line begins, or npos when only empty lines
// (or a lone CR) were received so far.
std::size_t skip_leading_empty_lines(std::string_view d);

// Finds the end of the head that starts at `start`: the index just past the
// empty line. Resumes scanning at `scanned` (updated). npos: not complete yet.
std::size_t find_head_end(std::string_view d, std::size_t start, std::size_t& scanned);

// One line within [pos, end): its content without CR LF; `next` is where the
// following line starts. A CR not followed by LF stays in the content, where
// the character checks refuse it.
std::string_view next_line(std::string_view d, std::size_t pos, std::size_t end, std::size_t& next);

// Parses the header field lines in [pos, end) (end excludes the empty line).
// `bad_status` is what an error answers with (400 for requests, 502 for responses).
bool parse_fields(std::string_view d, std::size_t pos, std::size_t end, std::size_t max_headers, int bad_status,
                  std::vector<Header>& out, ParseError& err);

}  // namespace tandem::balancer::http::detail
