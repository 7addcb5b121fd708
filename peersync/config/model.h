#pragma once
// peersync.conf, validated: plain structs.

#include <string>
#include <vector>

#include "common/net_address.h"

namespace tandem::peersync::config {

struct Peer {
  std::string name;  // must match the peer's certificate (SAN or CN) with TLS on
  HostPort address;
  std::string where;  // FILE:LINE, for messages about this peer
};

struct Tls {
  bool enabled = true;
  std::string cert;
  std::string key;
  std::string ca;
};

struct Config {
  std::string file;
  std::string node;
  HostPort listen;
  std::string admin_socket;  // empty: the daemon's default (or the flag)
  std::string balancer_socket = "/run/tandem/balancer.sock";
  std::string vrrpd_socket = "/run/tandem/vrrpd.sock";
  std::vector<Peer> peers;
  Tls tls;
};

}  // namespace tandem::peersync::config
