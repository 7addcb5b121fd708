#include "common/grpc/daemon_runtime.h"

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "common/strings.h"
#include "common/sd_notify.h"
#include "common/unix_socket.h"
#include "common/signals.h"

namespace tandem {

Result<std::unique_ptr<DaemonRuntime>> DaemonRuntime::start(Options options) {
  std::unique_ptr<DaemonRuntime> rt(new DaemonRuntime());
  rt->name_ = options.name;
  // Caught before the pid file and the socket exist: whoever can see the
  // daemon may signal it, and the handlers only start in run().
  rt->signals_.emplace(rt->io_, options.soft_stop);
  // Refuse before touching anything if a live daemon serves the socket (its
  // pid file may be the same path). Then the pid file, before the socket
  // answers: whoever sees the socket may read the pid file at once.
  if (options.take_over_socket) {
    // The old process keeps serving its (now unlinked) socket until it exits.
    if (::unlink(options.args->admin_socket.c_str()) != 0 && errno != ENOENT)
      return fail(cat("cannot take over ", options.args->admin_socket, ": ", std::strerror(errno)));
  } else if (auto claimed = claim_unix_socket_path(options.args->admin_socket); !claimed) {
    return std::unexpected(claimed.error());
  }
  if (!options.args->pidfile.empty()) {
    auto p = PidFile::create(options.args->pidfile);
    if (!p) return std::unexpected(p.error());
    rt->pidfile_.emplace(std::move(*p));
  }
  auto admin = AdminServer::start({.socket_path = options.args->admin_socket,
                                   .services = std::move(options.services),
                                   .health_names = std::move(options.health_names)});
  if (!admin) return std::unexpected(admin.error());
  rt->admin_ = std::move(*admin);
  return rt;
}

DaemonRuntime::~DaemonRuntime() {
  if (admin_) admin_->shutdown(std::chrono::milliseconds(0));
}

void DaemonRuntime::run(Hooks hooks) {
  auto work = asio::make_work_guard(io_);
  signals_->start({.stop =
                       [this](int signo) {
                         log::notice(name_, ": signal ", signo, ", stopping");
                         io_.stop();
                       },
                   .reload =
                       [&] {
                         if (hooks.reload) hooks.reload();
                         else log::notice(name_, ": SIGHUP ignored: this daemon has nothing to reload");
                       },
                   .soft_stop = hooks.soft_stop});
  (void)sd::ready();
  io_.run();
  (void)sd::stopping();
  signals_->cancel();
  if (hooks.stop) hooks.stop();
  admin_->shutdown();
}

void DaemonRuntime::stop() {
  asio::post(io_, [this] { io_.stop(); });
}

}  // namespace tandem
