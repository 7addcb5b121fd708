#pragma once
// Aligned text tables for tandemctl's human output, with state words
// coloured when writing to a terminal (never in pipes, files or tests).

#include <string>
#include <vector>

namespace tandem::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Columns separated by two spaces, padded to the widest cell; no trailing blanks.
  std::string render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// "UP" -> green, "DOWN" -> red... when `color`; the word unchanged otherwise.
std::string colored(const std::string& word, bool color);

// Whether stdout is a terminal (and NO_COLOR is not set).
bool stdout_is_terminal();

}  // namespace tandem::cli
