#pragma once
// A `userlist` at run time: checks HTTP basic credentials against crypt(3)
// hashes or insecure passwords. A crypt(3) check costs up to a millisecond
// (SHA-512, 5000 rounds), so credentials already verified are remembered
// (bounded) by the exact Authorization value: a browser sends the same header
// on every request.

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "balancer/config/model.h"
#include "balancer/http/message.h"

namespace tandem::balancer::rules {

class Userlist {
 public:
  explicit Userlist(const config::Userlist& cfg);

  const std::string& name() const { return cfg_.name; }
  // The user the request's basic credentials name, when they are valid.
  std::optional<std::string> authenticate(const http::RequestHead& req) const;
  // "g1,g2": the groups `user` belongs to (declared on the user or the group).
  std::string groups_of(const std::string& user) const;

  static bool check_password(const config::Userlist::User& u, std::string_view password);

 private:
  config::Userlist cfg_;
  static constexpr std::size_t kCacheLimit = 1024;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, std::string> verified_;  // Authorization value -> user
};

// RFC 4648 base64 decoding; nullopt on invalid input.
std::optional<std::string> base64_decode(std::string_view in);

}  // namespace tandem::balancer::rules
