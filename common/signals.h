#pragma once
// The daemons' signals on Asio: SIGTERM and SIGINT stop gracefully, SIGHUP
// reloads, SIGUSR1 stops softly where a daemon supports it. Handlers run on
// the io_context's thread, never in signal context.
//
// The signals are caught from construction on, before the handlers exist: a
// signal that arrives in between (systemd's reload, a -sf successor's
// SIGUSR1, a stop, right after the admin socket appears) is held by Asio and
// handled once start() runs, instead of killing the process by the default
// action.

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <functional>

namespace tandem {

class SignalHandler {
 public:
  struct Callbacks {
    std::function<void(int signo)> stop;  // SIGTERM, SIGINT
    std::function<void()> reload;         // SIGHUP; unset: SIGHUP is ignored
    // SIGUSR1 (HAProxy's soft stop: stop listening, finish what is in
    // flight, then exit). Only when the handler was built with soft_stop.
    std::function<void()> soft_stop;
  };

  // `soft_stop`: catch SIGUSR1 too; otherwise it keeps its default action.
  SignalHandler(asio::io_context& io, bool soft_stop);
  SignalHandler(const SignalHandler&) = delete;
  SignalHandler& operator=(const SignalHandler&) = delete;

  // Handles the signals, those already caught first.
  void start(Callbacks callbacks);
  // Stops listening; pending handlers are cancelled.
  void cancel();

 private:
  void arm();

  asio::signal_set signals_;
  Callbacks callbacks_;
};

}  // namespace tandem
