#pragma once
// Load-balancing algorithms as pure code over a list of members. The backend
// calls them under its lock; they never touch sockets or clocks, and draw
// randomness from a generator they are given.

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "balancer/config/model.h"

namespace tandem::balancer::lb {

struct Member {
  std::uint32_t id = 0;      // the server's id: consistent hashing places points by it
  std::uint32_t weight = 0;  // 0: not usable now (down, drain, maint, weight 0)
};

struct PickRequest {
  // For hash algorithms: the key's hash. Without one (a missing header or
  // parameter), they fall back to round robin, as HAProxy does.
  std::optional<std::uint32_t> hash;
  // Members that must not be picked now (full, or the server a retry left);
  // indexed like the members; empty: none excluded.
  const std::vector<bool>* excluded = nullptr;
  // Current connections per member, for leastconn, first and random(N).
  const std::vector<std::uint32_t>* load = nullptr;
  std::mt19937* rng = nullptr;
};

class Algorithm {
 public:
  virtual ~Algorithm() = default;
  // The members or their weights changed; called with the full list.
  virtual void rebuild(std::span<const Member> members) = 0;
  // A member index, or -1 when none is usable.
  virtual int pick(const PickRequest& request) = 0;
};

std::unique_ptr<Algorithm> make_algorithm(const config::BalanceSpec& spec);

// The hash of a key under the backend's hash-type settings.
std::uint32_t hash_for(const config::BalanceSpec& spec, std::string_view key);

}  // namespace tandem::balancer::lb
