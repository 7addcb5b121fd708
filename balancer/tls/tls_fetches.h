#pragma once
// The ssl_* sample fetches that read the client connection's TLS state:
// ssl_fc_protocol, ssl_fc_cipher, ssl_fc_alpn, ssl_c_used, ssl_c_verify,
// ssl_c_s_dn, ssl_c_i_dn (ssl_fc and ssl_fc_sni are built in: the session
// fills EvalContext::ssl and ::sni).

namespace tandem::balancer::tls {

// Adds them to the fetch registry (idempotent); called before rules compile.
void register_tls_fetches();

}  // namespace tandem::balancer::tls
