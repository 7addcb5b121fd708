#pragma once
// Which certificate answers a ClientHello's server name. Pure: names in,
// certificate numbers out; the TLS layer owns the certificates.
//
// Names are matched case-insensitively (RFC 6066 §3: host names are
// compared as DNS names). A wildcard "*.example.com" covers exactly one
// label (RFC 6125 §6.4.3): "a.example.com", not "example.com" nor
// "a.b.example.com". An exact name beats a wildcard; between equals, the
// certificate added first wins. A negative filter ("!www.example.com" in a
// crt-list) removes one name from what its certificate's wildcards cover.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tandem::balancer::tls {

class SniIndex {
 public:
  // `name` as in a certificate or a crt-list filter: "host", "*.domain" or "!host".
  void add(std::string_view name, std::size_t cert);
  // The certificate for a server name, if any covers it.
  std::optional<std::size_t> find(std::string_view server_name) const;
  bool empty() const { return exact_.empty() && wildcard_.empty(); }

 private:
  bool excluded(const std::string& name, std::size_t cert) const;
  std::unordered_map<std::string, std::vector<std::size_t>> exact_;
  std::unordered_map<std::string, std::vector<std::size_t>> wildcard_;  // keyed by the part after "*."
  std::unordered_map<std::string, std::vector<std::size_t>> negative_;
};

// Lower-cases ASCII letters (DNS names; no IDN folding).
std::string lower_name(std::string_view s);

}  // namespace tandem::balancer::tls
