#pragma once
// The balancer's validated configuration: plain structs, no behaviour. The
// parser (parser.h) fills them from HAProxy's language; the runtime is built
// from them.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tandem::balancer::config {

enum class Mode { tcp, http };

struct Global {
  std::uint32_t maxconn = 0;   // 0: derived from the open-file limit
  std::uint32_t nbthread = 0;  // 0: one per CPU
  bool daemon = false;
  std::string pidfile;
  std::string user;
  std::string group;
  std::string chroot;
  std::uint32_t bufsize = 16384;
  std::uint32_t maxrewrite = 1024;
  std::uint32_t ulimit_n = 0;
  std::string node;            // `localpeer`, else the host name
};

struct Proxy {
  enum class Kind { frontend, backend, listen };
  Kind kind = Kind::frontend;
  std::string name;
  std::string file;
  int line = 0;
  Mode mode = Mode::tcp;
};

struct Config {
  std::vector<std::string> files;
  Global global;
  std::vector<Proxy> proxies;
};

}  // namespace tandem::balancer::config
