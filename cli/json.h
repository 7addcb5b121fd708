#pragma once
// A small JSON writer for --json output: enough for objects, arrays, strings,
// numbers and booleans, with correct string escaping. Output is stable: keys
// appear in the order written.

#include <string>
#include <string_view>

namespace tandem::cli {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view v);
  JsonWriter& value(const char* v) { return value(std::string_view(v)); }
  JsonWriter& value(long long v);
  JsonWriter& value(unsigned long long v);
  JsonWriter& value(int v) { return value(static_cast<long long>(v)); }
  JsonWriter& value(unsigned v) { return value(static_cast<unsigned long long>(v)); }
  JsonWriter& value(bool v);
  JsonWriter& null();

  // The document, with a trailing newline.
  std::string str() const { return out_ + "\n"; }

 private:
  void separate();
  std::string out_;
  bool need_comma_ = false;
};

std::string json_escape(std::string_view s);

}  // namespace tandem::cli
