#include "common/log.h"

#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

namespace tandem::log {
namespace {

struct State {
  std::string ident = "tandem";
  std::atomic<int> level{static_cast<int>(Level::info)};
  bool syslog = false;
  bool journal = false;  // stderr is connected to journald
  std::mutex sink_mutex;
  Sink sink;
};

State& state() {
  static State s;
  return s;
}

// journald sets JOURNAL_STREAM to "DEV:INODE" of the stream it gave us; only
// then do `<N>` prefixes mean something (sd-daemon(3)).
bool stderr_is_journal() {
  const char* js = std::getenv("JOURNAL_STREAM");
  if (!js) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return cat(static_cast<unsigned long long>(st.st_dev), ':',
             static_cast<unsigned long long>(st.st_ino)) == js;
}

void write_stderr(const State& s, Level level, std::string_view message) {
  std::string line;
  line.reserve(message.size() + 64);
  if (s.journal) {
    append(line, '<', static_cast<int>(level), '>', message, '\n');
  } else {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm t{};
    localtime_r(&ts.tv_sec, &t);
    char stamp[32];
    size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &t);
    std::snprintf(stamp + n, sizeof stamp - n, ".%03ld", ts.tv_nsec / 1'000'000);
    append(line, stamp, ' ', s.ident, '[', static_cast<int>(getpid()), "]: ", level_name(level), ": ",
           message, '\n');
  }
  // One write per line; a short write to a pipe of this size does not happen
  // in practice, and a log line is not worth a retry loop on the data path.
  ssize_t r = ::write(STDERR_FILENO, line.data(), line.size());
  (void)r;
}

}  // namespace

void init(const Options& options) {
  State& s = state();
  s.ident = options.ident;
  s.level.store(static_cast<int>(options.level));
  s.journal = stderr_is_journal();
  s.syslog = options.syslog;
  if (s.syslog) openlog(s.ident.c_str(), LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void set_level(Level level) { state().level.store(static_cast<int>(level)); }

bool enabled(Level level) {
  return static_cast<int>(level) <= state().level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view message) {
  State& s = state();
  {
    std::lock_guard lock(s.sink_mutex);
    if (s.sink) {
      s.sink(level, message);
      return;
    }
  }
  write_stderr(s, level, message);
  if (s.syslog) ::syslog(static_cast<int>(level), "%.*s", static_cast<int>(message.size()), message.data());
}

void set_sink(Sink sink) {
  std::lock_guard lock(state().sink_mutex);
  state().sink = std::move(sink);
}

std::optional<Level> parse_level(std::string_view name) {
  static constexpr std::string_view names[] = {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
  for (int i = 0; i < 8; ++i)
    if (name == names[i]) return static_cast<Level>(i);
  if (name == "error") return Level::err;
  if (name == "warn") return Level::warning;
  return std::nullopt;
}

std::string_view level_name(Level level) {
  static constexpr std::string_view names[] = {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
  int i = static_cast<int>(level);
  return (i >= 0 && i < 8) ? names[i] : "?";
}

bool RateLimit::allow(SteadyTime now, unsigned long long& suppressed) {
  if (now - window_start_ >= interval_) {
    window_start_ = now;
    used_ = 0;
  }
  if (used_ < burst_) {
    ++used_;
    suppressed = dropped_;
    dropped_ = 0;
    return true;
  }
  ++dropped_;
  return false;
}

}  // namespace tandem::log
