#pragma once
// Errors as values for the control plane: std::expected<T, Error>.

#include <expected>
#include <string>
#include <utility>

namespace tandem {

struct Error {
  std::string message;
};

template <typename T = void, typename E = Error>
using Result = std::expected<T, E>;

inline std::unexpected<Error> fail(std::string message) {
  return std::unexpected<Error>(Error{std::move(message)});
}

}  // namespace tandem
