#pragma once
// tandem-vrrpd's validated configuration (keepalived's language): plain structs.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace tandem::vrrpd::config {

struct Vip {
  std::string address;  // as written: ADDR[/PREFIX]
  std::string dev;      // `dev IF`; empty: the instance's interface
  std::string label;    // `label L`
};

struct Instance {
  std::string name;
  std::string file;
  int line = 0;
  bool initial_master = false;  // `state MASTER`
  std::string interface;
  std::uint32_t vrid = 0;       // 1..255
  std::uint32_t priority = 100; // 1..255
  std::chrono::milliseconds advert_int{1000};
  std::vector<Vip> vips;
};

struct GlobalDefs {
  std::string router_id;
  std::uint32_t vrrp_version = 2;  // keepalived's default
};

struct Config {
  std::string file;
  GlobalDefs global;
  std::vector<Instance> instances;
};

}  // namespace tandem::vrrpd::config
