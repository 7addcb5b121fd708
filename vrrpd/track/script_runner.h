#pragma once
// Running scripts (vrrp_script checks, notify scripts) without blocking the
// daemon: an interface with a fake beside it, and the fork/exec
// implementation that waits for children through pidfds on the io_context.

#include <asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "vrrpd/config/model.h"

namespace tandem::vrrpd::track {

struct ScriptResult {
  bool ok = false;     // exited with status 0
  int exit_code = -1;  // -1 when it did not exit normally
  int signal = 0;      // the signal that ended it, if any
  bool timed_out = false;
  std::string error;  // could not be started
  std::string describe() const;
};

struct RunRequest {
  std::vector<std::string> argv;
  // -1: keep the daemon's. Resolved from names at configuration load.
  int uid = -1;
  int gid = -1;
  config::Micros timeout{0};  // 0: none
  bool operator==(const RunRequest&) const = default;
};

class ScriptRunner {
 public:
  using Done = std::function<void(const ScriptResult&)>;
  virtual ~ScriptRunner() = default;
  // Starts the command; `done` runs on the io_context when it has finished
  // (or was killed at its timeout). Never blocks.
  virtual void run(const RunRequest& req, Done done) = 0;
};

class ProcessScriptRunner final : public ScriptRunner {
 public:
  explicit ProcessScriptRunner(asio::io_context& io);
  ~ProcessScriptRunner() override;  // kills and reaps what is still running
  void run(const RunRequest& req, Done done) override;
  std::size_t running() const { return children_.size(); }

 private:
  struct Child;
  void finish(int pid);

  asio::io_context& io_;
  std::map<int, std::unique_ptr<Child>> children_;
};

// Records requests; the test completes them.
class FakeScriptRunner final : public ScriptRunner {
 public:
  void run(const RunRequest& req, Done done) override { pending.push_back({req, std::move(done)}); }
  // Completes the oldest pending run with `result`.
  void complete(const ScriptResult& result);
  struct Pending {
    RunRequest req;
    Done done;
  };
  std::vector<Pending> pending;
  std::vector<RunRequest> finished;
};

// Resolves `user`/`group` names to ids; "" keeps the daemon's.
Result<std::pair<int, int>> resolve_user(const std::string& user, const std::string& group);

// keepalived's enable_script_security: the program and every directory above
// it must be owned by root and not writable by group or others.
Result<void> check_script_security(const std::string& program);

// The absolute path of a program named without '/', through $PATH.
std::string find_program(const std::string& name);

}  // namespace tandem::vrrpd::track
