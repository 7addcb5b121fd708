#include "common/signals.h"

#include <csignal>

namespace tandem {

SignalHandler::SignalHandler(asio::io_context& io, bool soft_stop) : signals_(io, SIGTERM, SIGINT, SIGHUP) {
  // A peer closing a socket must be an error code on the data path, not a kill.
  std::signal(SIGPIPE, SIG_IGN);
  if (soft_stop) signals_.add(SIGUSR1);
}

void SignalHandler::start(Callbacks callbacks) {
  callbacks_ = std::move(callbacks);
  arm();
}

void SignalHandler::cancel() {
  asio::error_code ec;
  signals_.cancel(ec);
}

void SignalHandler::arm() {
  signals_.async_wait([this](const asio::error_code& ec, int signo) {
    if (ec) return;  // cancelled
    if (signo == SIGHUP) {
      if (callbacks_.reload) callbacks_.reload();
    } else if (signo == SIGUSR1) {
      if (callbacks_.soft_stop) callbacks_.soft_stop();
    } else if (callbacks_.stop) {
      callbacks_.stop(signo);
    }
    arm();
  });
}

}  // namespace tandem
