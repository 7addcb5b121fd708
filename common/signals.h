#pragma once
// The daemons' signals on Asio: SIGTERM and SIGINT stop gracefully, SIGHUP
// reloads, SIGUSR1 stops softly where a daemon supports it. Handlers run on the io_context's thread, never in signal context.

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
    // flight, then exit); unset: SIGUSR1 keeps its default action.
    std::function<void()> soft_stop;
  };

  SignalHandler(asio::io_context& io, Callbacks callbacks);
  SignalHandler(const SignalHandler&) = delete;
  SignalHandler& operator=(const SignalHandler&) = delete;

  // Stops listening; pending handlers are cancelled.
  void cancel();

 private:
  void arm();

  asio::signal_set signals_;
  Callbacks callbacks_;
};

}  // namespace tandem
