#pragma once
// TLS options shared by `bind`, `server`/`default-server` and the global
// `ssl-default-*-options` lines: versions, ciphers, curves, tickets.

#include "balancer/config/model.h"
#include "balancer/config/parse_util.h"

namespace tandem::balancer::config {

// Parses the option at l.words[i] into `s` when it is a TLS setting, moving
// `i` past its argument. Returns false (and leaves `i`) for other words.
Result<bool> parse_tls_setting(TlsSettings& s, const Line& l, size_t& i, std::string_view keyword);

// "TLSv1.2" -> TlsVersion::tlsv12; none when unknown.
TlsVersion parse_tls_version(std::string_view text);
const char* tls_version_name(TlsVersion v);

// `verify none|optional|required`; `allow_optional`: servers have no `optional`.
Result<TlsVerify> parse_tls_verify(const Line& l, size_t i, std::string_view keyword, bool allow_optional);

// "h2,http/1.1" -> {"h2", "http/1.1"}; empty names and names over 255 bytes are errors.
Result<std::vector<std::string>> parse_alpn_list(const Line& l, size_t i, std::string_view keyword);

}  // namespace tandem::balancer::config
