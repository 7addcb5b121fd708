#pragma once
// TLS contexts, built once when the configuration loads and shared by every
// worker: per bind, one SSL_CTX per certificate (the ClientHello callback
// switches to the one the server name selects); per server, one client
// SSL_CTX. Nothing here looks anything up per handshake but the SNI index.

#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "balancer/config/model.h"
#include "balancer/rules/sample.h"
#include "balancer/tls/sni_index.h"
#include "common/error.h"

namespace tandem::balancer::tls {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// The server side of one `bind ... ssl` line.
class BindContext {
 public:
  // Loads the certificates and keys and builds the contexts. Errors read
  // "FILE:LINE: bind: ..." with the bind's line. `warnings` collects
  // messages for the log (h2 removed from alpn...).
  static Result<std::unique_ptr<BindContext>> create(const config::BindTls& tls, const config::Global& g,
                                                     const config::Origin& origin, std::vector<std::string>* warnings);
  ~BindContext();

  // A new server-side connection object (the default certificate's context).
  SSL* new_ssl() const { return SSL_new(certs_.front().ctx.get()); }
  std::size_t certificates() const { return certs_.size(); }

  // One loaded certificate and its context. Exposed for tests.
  struct Cert {
    SslCtxPtr ctx;
    std::string path;
    std::vector<std::string> names;  // CN and DNS SANs
    // What OpenSSL takes per connection, not per context (versions,
    // ciphers): applied after the switch when they differ from the default's.
    std::optional<int> min_ver, max_ver;
    std::string ciphers, ciphersuites;  // effective; empty: OpenSSL's default
    std::string alpn_wire;  // ALPN in wire format (length-prefixed names)
  };
  const Cert& cert(std::size_t i) const { return certs_[i]; }
  // The certificate the handshake would use for `server_name` (nullopt: refused).
  std::optional<std::size_t> select(std::string_view server_name) const;

 private:
  BindContext() = default;
  static int on_client_hello(SSL* ssl, int* alert, void* arg);
  static int on_alpn(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                     unsigned int inlen, void* arg);

  std::vector<Cert> certs_;  // [0] is the default certificate
  SniIndex index_;
  bool strict_sni_ = false;
};

// The client side towards one server (`server ... ssl`).
class ServerContext {
 public:
  static Result<std::unique_ptr<ServerContext>> create(const config::ServerTls& tls, const config::Global& g,
                                                       const config::Origin& origin, const rules::Resolver& resolver,
                                                       unsigned workers);
  ~ServerContext();

  // A new client-side connection object: SNI set (when `sni` gave a
  // name), the host name checked against the certificate when verifying
  // (the SNI, else `verifyhost`, else none, as HAProxy), and the worker's
  // last session offered for resumption.
  SSL* new_ssl(unsigned worker, std::string_view sni) const;
  // `check-sni`: the name health checks send (empty: none).
  const std::string& check_sni() const { return check_sni_; }
  // The `sni` expression, if any (evaluated per request by the session).
  const std::optional<rules::SampleExpr>& sni() const { return sni_; }
  bool verifies() const { return verify_; }

 private:
  ServerContext() = default;
  static int on_new_session(SSL* ssl, SSL_SESSION* s);

  // One cached session per worker (plus one for health checks): a worker
  // only touches its own slot.
  struct alignas(64) Slot {
    SSL_SESSION* session = nullptr;
    std::string sni;
  };
  SslCtxPtr ctx_;
  std::optional<rules::SampleExpr> sni_;
  std::string verify_host_;
  std::string check_sni_;
  bool verify_ = true;
  mutable std::vector<Slot> slots_;
};

// The worker index a connection belongs to, for session caching; set by whoever creates the SSL.
void set_worker(SSL* ssl, unsigned worker);

// OpenSSL's error queue as one line (and cleared).
std::string take_errors();

}  // namespace tandem::balancer::tls
