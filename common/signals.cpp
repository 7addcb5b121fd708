#include "common/signals.h"

#include <csignal>

namespace tandem {

SignalHandler::SignalHandler(asio::io_context& io, Callbacks callbacks)
    : signals_(io, SIGTERM, SIGINT, SIGHUP), callbacks_(std::move(callbacks)) {
  // A peer closing a socket must be an error code on the data path, not a kill.
  std::signal(SIGPIPE, SIG_IGN);
  if (callbacks_.soft_stop) signals_.add(SIGUSR1);
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
      callbacks_.soft_stop();
    } else if (callbacks_.stop) {
      callbacks_.stop(signo);
    }
    arm();
  });
}

}  // namespace tandem
