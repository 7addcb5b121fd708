#include "vrrpd/track/script_runner.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/log.h"
#include "common/strings.h"

namespace tandem::vrrpd::track {

std::string ScriptResult::describe() const {
  if (!error.empty()) return error;
  if (timed_out) return "timed out";
  if (signal) return cat("killed by signal ", signal);
  return cat("exit ", exit_code);
}

struct ProcessScriptRunner::Child {
  Child(asio::io_context& io, int pidfd) : fd(io, pidfd), timer(io) {}
  asio::posix::stream_descriptor fd;  // the pidfd: readable when the child has exited
  asio::steady_timer timer;
  Done done;
  bool timed_out = false;
};

ProcessScriptRunner::ProcessScriptRunner(asio::io_context& io) : io_(io) {}

ProcessScriptRunner::~ProcessScriptRunner() {
  for (auto& [pid, c] : children_) {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
}

namespace {

// The child side of fork(): only async-signal-safe calls until exec.
[[noreturn]] void exec_child(const std::vector<char*>& argv, int uid, int gid) {
  ::setpgid(0, 0);  // its own group: a timeout kills whatever it started too
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int s = 1; s < NSIG; ++s) ::signal(s, SIG_DFL);
  int devnull = ::open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
  }
  if (gid >= 0 && (::setgroups(0, nullptr) != 0 || ::setgid(static_cast<gid_t>(gid)) != 0)) ::_exit(126);
  if (uid >= 0 && ::setuid(static_cast<uid_t>(uid)) != 0) ::_exit(126);
  ::execvp(argv[0], argv.data());
  ::_exit(127);
}

}  // namespace

void ProcessScriptRunner::run(const RunRequest& req, Done done) {
  std::vector<char*> argv;
  for (const auto& a : req.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int pid = ::fork();
  if (pid < 0) {
    ScriptResult r;
    r.error = cat("fork: ", std::strerror(errno));
    asio::post(io_, [done = std::move(done), r] { done(r); });
    return;
  }
  if (pid == 0) exec_child(argv, req.uid, req.gid);
  ::setpgid(pid, pid);  // also from the parent: no race with a kill before the child ran
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    // No pidfd (kernel < 5.3): we cannot wait without blocking; do not leave a zombie.
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    ScriptResult r;
    r.error = cat("pidfd_open: ", std::strerror(errno));
    asio::post(io_, [done = std::move(done), r] { done(r); });
    return;
  }
  auto child = std::make_unique<Child>(io_, pidfd);
  child->done = std::move(done);
  Child& c = *child;
  children_[pid] = std::move(child);
  c.fd.async_wait(asio::posix::stream_descriptor::wait_read, [this, pid](asio::error_code ec) {
    if (!ec) finish(pid);
  });
  if (req.timeout.count() > 0) {
    c.timer.expires_after(req.timeout);
    c.timer.async_wait([this, pid](asio::error_code ec) {
      if (ec) return;
      auto it = children_.find(pid);
      if (it == children_.end()) return;
      it->second->timed_out = true;
      ::kill(-pid, SIGKILL);  // the pidfd becomes readable once it is gone
    });
  }
}

void ProcessScriptRunner::finish(int pid) {
  auto it = children_.find(pid);
  if (it == children_.end()) return;
  std::unique_ptr<Child> c = std::move(it->second);
  children_.erase(it);
  c->timer.cancel();
  int status = 0;
  ScriptResult r;
  if (::waitpid(pid, &status, 0) < 0) {
    r.error = cat("waitpid: ", std::strerror(errno));
  } else if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
    r.ok = r.exit_code == 0;
    if (r.exit_code == 127) r.error = "could not execute (exit 127)";
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  }
  r.timed_out = c->timed_out;
  if (r.timed_out) r.ok = false;
  Done done = std::move(c->done);
  // Close the pidfd after this handler returns: we are inside its completion.
  asio::post(io_, [c = std::move(c)] {});
  done(r);
}

void FakeScriptRunner::complete(const ScriptResult& result) {
  if (pending.empty()) return;
  Pending p = std::move(pending.front());
  pending.erase(pending.begin());
  finished.push_back(p.req);
  p.done(result);
}

Result<std::pair<int, int>> resolve_user(const std::string& user, const std::string& group) {
  int uid = -1, gid = -1;
  if (!user.empty()) {
    passwd pw{}, *res = nullptr;
    std::vector<char> buf(16384);
    if (::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &res) != 0 || !res)
      return fail(cat("no user named '", user, "'"));
    uid = static_cast<int>(pw.pw_uid);
    gid = static_cast<int>(pw.pw_gid);
  }
  if (!group.empty()) {
    struct group gr {
    }, *res = nullptr;
    std::vector<char> buf(16384);
    if (::getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &res) != 0 || !res)
      return fail(cat("no group named '", group, "'"));
    gid = static_cast<int>(gr.gr_gid);
  }
  return std::pair{uid, gid};
}

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = ::getenv("PATH");
  std::string_view p = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  while (!p.empty()) {
    auto colon = p.find(':');
    std::string dir(p.substr(0, colon));
    std::string candidate = cat(dir.empty() ? "." : dir, '/', name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    p.remove_prefix(colon + 1);
  }
  return name;
}

Result<void> check_script_security(const std::string& program) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::canonical(find_program(program), ec);
  if (ec) return fail(cat(program, ": ", ec.message()));
  for (std::filesystem::path at = p;; at = at.parent_path()) {
    struct stat st {};
    if (::stat(at.c_str(), &st) != 0) return fail(cat(at.string(), ": ", std::strerror(errno)));
    if (st.st_uid != 0) return fail(cat(at.string(), " is not owned by root"));
    if (st.st_mode & (S_IWGRP | S_IWOTH)) return fail(cat(at.string(), " is writable by group or others"));
    if (at == at.root_path()) break;
  }
  return {};
}

}  // namespace tandem::vrrpd::track
