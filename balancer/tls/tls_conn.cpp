#include "balancer/tls/tls_conn.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>

#include "balancer/tls/tls_context.h"
#include "common/strings.h"

namespace tandem::balancer::tls {

std::unique_ptr<TlsConn> TlsConn::create(SSL* ssl, int fd, bool server) {
  if (!ssl) return nullptr;
  std::unique_ptr<TlsConn> c(new TlsConn(ssl));
  if (!SSL_set_fd(ssl, fd)) return nullptr;
  if (server) SSL_set_accept_state(ssl);
  else SSL_set_connect_state(ssl);
  return c;
}

TlsConn::~TlsConn() { SSL_free(ssl_); }

// OpenSSL reports through a per-thread error queue: it must be empty before
// each call so that SSL_get_error() sees this call's errors only. Peeking is
// cheaper than ERR_clear_error(), which walks all its slots every time (it
// showed in profiles at one call per record).
namespace {
void clear_errors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}
}  // namespace

Op TlsConn::result(int rc, std::size_t n) {
  if (rc == 1) return {Step::done, n};
  int e = SSL_get_error(ssl_, rc);
  switch (e) {
    case SSL_ERROR_WANT_READ: return {Step::want_read, 0};
    case SSL_ERROR_WANT_WRITE: return {Step::want_write, 0};
    case SSL_ERROR_ZERO_RETURN: return {Step::closed, 0};
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0) {
        // EOF or a socket error without close_notify (RFC 8446 §6.1 lets
        // the application decide: for HTTP the framing tells).
        error_ = errno ? cat("socket: ", std::strerror(errno)) : std::string("connection closed");
        ERR_clear_error();
        return {Step::closed, 0};
      }
      [[fallthrough]];
    default: {
      error_ = take_errors();
      long v = SSL_get_verify_result(ssl_);
      if (v != X509_V_OK) error_ = cat("certificate: ", X509_verify_cert_error_string(v), " (", error_, ")");
      return {Step::failed, 0};
    }
  }
}

Op TlsConn::handshake() {
  clear_errors();
  errno = 0;
  return result(SSL_do_handshake(ssl_), 0);
}

Op TlsConn::read(void* buf, std::size_t len) {
  wrote_last_ = false;
  clear_errors();
  errno = 0;
  std::size_t n = 0;
  int rc = SSL_read_ex(ssl_, buf, len, &n);
  return result(rc, n);
}

Op TlsConn::write(const void* buf, std::size_t len) {
  if (len == 0) return {Step::done, 0};
  clear_errors();
  errno = 0;
  std::size_t n = 0;
  int rc = SSL_write_ex(ssl_, buf, len, &n);
  wrote_last_ = rc == 1;
  return result(rc, n);
}

void TlsConn::close_quietly() {
  if (!SSL_is_init_finished(ssl_)) return;
  ERR_clear_error();
  (void)SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace tandem::balancer::tls
