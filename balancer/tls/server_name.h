#pragma once
// The host name in a ClientHello's server_name extension (RFC 6066 §3).
// Pure and bounds-checked: the bytes come from any client, before OpenSSL
// has looked at this extension's contents.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tandem::balancer::tls {

// `ext`: the extension's data (after its type and length). Returns the
// first host_name entry, or an empty view when there is none or the
// framing is broken.
std::string_view parse_server_name(const std::uint8_t* ext, std::size_t len);

}  // namespace tandem::balancer::tls
