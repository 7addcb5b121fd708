#pragma once
// `crt-list FILE`: one certificate per line, with per-certificate TLS
// options in brackets and the server names it answers for:
//
//   /etc/ssl/site.pem [alpn h2,http/1.1 ssl-min-ver TLSv1.2] www.example.com !old.example.com
//
// Pure: text in, entries (with their line numbers) or an error out.

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace tandem::balancer::tls {

struct CrtListEntry {
  std::string path;
  std::vector<std::string> options;  // the words between [ and ], unvalidated
  std::vector<std::string> filters;  // server names, "*.domain" or "!name"; empty: the certificate's own names
  int line = 0;
};

// `file` names the list in error messages ("FILE:LINE: crt-list: ...").
Result<std::vector<CrtListEntry>> parse_crt_list(std::string_view text, std::string_view file);

}  // namespace tandem::balancer::tls
