#include "balancer/tls/tls_fetches.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <mutex>

#include "balancer/rules/sample.h"

namespace tandem::balancer::tls {

namespace {

using rules::EvalContext;
using rules::FetchArgs;
using rules::Sample;

SSL* ssl_of(EvalContext& c) { return static_cast<SSL*>(const_cast<void*>(c.tls)); }

Sample f_protocol(EvalContext& c, const FetchArgs&) {
  SSL* s = ssl_of(c);
  return s ? Sample::of_str(SSL_get_version(s)) : Sample::none();
}
Sample f_cipher(EvalContext& c, const FetchArgs&) {
  SSL* s = ssl_of(c);
  const char* n = s ? SSL_get_cipher_name(s) : nullptr;
  return n ? Sample::of_str(n) : Sample::none();
}
Sample f_alpn(EvalContext& c, const FetchArgs&) {
  SSL* s = ssl_of(c);
  if (!s) return Sample::none();
  const unsigned char* p = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(s, &p, &len);
  return len ? Sample::of_str(std::string_view(reinterpret_cast<const char*>(p), len)) : Sample::none();
}
Sample f_c_used(EvalContext& c, const FetchArgs&) {
  SSL* s = ssl_of(c);
  if (!s) return Sample::none();
  return Sample::of_bool(SSL_get0_peer_certificate(s) != nullptr);
}
// X509_V_OK (0) when the client's certificate verified, or none was sent.
Sample f_c_verify(EvalContext& c, const FetchArgs&) {
  SSL* s = ssl_of(c);
  if (!s) return Sample::none();
  return Sample::of_int(SSL_get_verify_result(s));
}
// "/C=FR/O=Example/CN=client": the one-line form HAProxy prints.
Sample dn(EvalContext& c, bool issuer) {
  SSL* s = ssl_of(c);
  X509* x = s ? SSL_get0_peer_certificate(s) : nullptr;
  if (!x) return Sample::none();
  char* line = X509_NAME_oneline(issuer ? X509_get_issuer_name(x) : X509_get_subject_name(x), nullptr, 0);
  if (!line) return Sample::none();
  std::string_view v = c.keep(line);
  OPENSSL_free(line);
  return Sample::of_str(v);
}
// str(TEXT): a constant, as for `server ... sni str(www.example.com)`.
Sample f_str(EvalContext&, const FetchArgs& a) { return Sample::of_str(a.text); }
Sample f_c_s_dn(EvalContext& c, const FetchArgs&) { return dn(c, false); }
Sample f_c_i_dn(EvalContext& c, const FetchArgs&) { return dn(c, true); }

}  // namespace

void register_tls_fetches() {
  static std::once_flag once;
  std::call_once(once, [] {
    using T = Sample::Type;
    using A = rules::FetchDef::Arg;
    const rules::FetchDef defs[] = {
        {"ssl_fc_protocol", f_protocol, T::str, rules::kNeedNothing, A::none},
        {"ssl_fc_cipher", f_cipher, T::str, rules::kNeedNothing, A::none},
        {"ssl_fc_alpn", f_alpn, T::str, rules::kNeedNothing, A::none},
        {"ssl_c_used", f_c_used, T::boolean, rules::kNeedNothing, A::none},
        {"ssl_c_verify", f_c_verify, T::integer, rules::kNeedNothing, A::none},
        {"ssl_c_s_dn", f_c_s_dn, T::str, rules::kNeedNothing, A::none},
        {"ssl_c_i_dn", f_c_i_dn, T::str, rules::kNeedNothing, A::none},
        {"str", f_str, T::str, rules::kNeedNothing, A::text},
    };
    for (const auto& d : defs) rules::register_fetch(d);
  });
}

}  // namespace tandem::balancer::tls
