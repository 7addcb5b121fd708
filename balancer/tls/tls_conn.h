#pragma once
// One TLS connection over a non-blocking socket: OpenSSL reads and writes
// the file descriptor itself (a socket BIO; see docs/DECISIONS.md), and
// every call returns at once, saying what it waits for. The caller does the
// waiting (readiness on the socket, with its deadline): this class never
// blocks and owns no timers.

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace tandem::balancer::tls {

enum class Step { done, want_read, want_write, closed, failed };

struct Op {
  Step step = Step::done;
  std::size_t n = 0;
};

class TlsConn {
 public:
  // Takes ownership of `ssl`, attaches it to `fd`. server: accept, else connect.
  static std::unique_ptr<TlsConn> create(SSL* ssl, int fd, bool server);
  ~TlsConn();
  TlsConn(const TlsConn&) = delete;
  TlsConn& operator=(const TlsConn&) = delete;

  Op handshake();
  Op read(void* buf, std::size_t len);
  Op write(const void* buf, std::size_t len);
  // Decrypted bytes or unprocessed records already read from the socket:
  // a reader must not wait for readiness while this is true.
  bool pending() const { return SSL_has_pending(ssl_) == 1; }
  // The last call wrote and nothing is pending: in request/response
  // traffic the peer has yet to answer, so a read would only find the
  // socket empty (one wasted read(2) per request): wait for readiness first.
  bool peer_turn() const { return wrote_last_ && !pending(); }
  // Sends close_notify if it fits in the socket buffer now; never waits.
  void close_quietly();

  SSL* ssl() const { return ssl_; }
  bool handshake_done() const { return SSL_is_init_finished(ssl_) == 1; }
  // Why the last call failed (OpenSSL's error queue, or the verify result).
  const std::string& error() const { return error_; }

 private:
  explicit TlsConn(SSL* ssl) : ssl_(ssl) {}
  Op result(int rc, std::size_t n);
  SSL* ssl_;
  bool wrote_last_ = false;
  std::string error_;
};

}  // namespace tandem::balancer::tls
