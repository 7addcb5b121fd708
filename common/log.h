#pragma once
// Process logging. Lines go to stderr (journald reads them, with `<N>` level
// prefixes when stderr is the journal stream) and optionally to syslog.
// Each line is one write(2), so threads never interleave within a line.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/strings.h"

namespace tandem::log {

// syslog(3)'s severities, in its order.
enum class Level : int { emerg = 0, alert, crit, err, warning, notice, info, debug };

struct Options {
  std::string ident = "tandem";  // program name in each line.
  Level level = Level::info;     // lines above this are dropped.
  bool syslog = false;           // also send to syslog(3).
};

void init(const Options& options);
void set_level(Level level);
bool enabled(Level level);
void write(Level level, std::string_view message);

// Replaces the stderr/syslog output, for tests that assert on log lines.
// Pass an empty function to restore the default.
using Sink = std::function<void(Level, std::string_view)>;
void set_sink(Sink sink);

std::optional<Level> parse_level(std::string_view name);
std::string_view level_name(Level level);

template <typename... A> void emerg(const A&... a) { if (enabled(Level::emerg)) write(Level::emerg, cat(a...)); }
template <typename... A> void alert(const A&... a) { if (enabled(Level::alert)) write(Level::alert, cat(a...)); }
template <typename... A> void crit(const A&... a) { if (enabled(Level::crit)) write(Level::crit, cat(a...)); }
template <typename... A> void error(const A&... a) { if (enabled(Level::err)) write(Level::err, cat(a...)); }
template <typename... A> void warning(const A&... a) { if (enabled(Level::warning)) write(Level::warning, cat(a...)); }
template <typename... A> void notice(const A&... a) { if (enabled(Level::notice)) write(Level::notice, cat(a...)); }
template <typename... A> void info(const A&... a) { if (enabled(Level::info)) write(Level::info, cat(a...)); }
template <typename... A> void debug(const A&... a) { if (enabled(Level::debug)) write(Level::debug, cat(a...)); }

// Lets at most `burst` lines through per `interval`, then counts what it
// suppressed so the next allowed line can say so. For input an attacker
// controls (malformed packets, requests): logging must not become the DoS.
class RateLimit {
 public:
  RateLimit(int burst, Millis interval) : burst_(burst), interval_(interval) {}
  // True when a line may be written now; `suppressed` then holds how many
  // were dropped since the last allowed one.
  bool allow(SteadyTime now, unsigned long long& suppressed);

 private:
  int burst_;
  Millis interval_;
  SteadyTime window_start_{};
  int used_ = 0;
  unsigned long long dropped_ = 0;
};

}  // namespace tandem::log
