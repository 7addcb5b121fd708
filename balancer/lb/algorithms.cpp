// The algorithms of `balance`. Each keeps only what it needs between picks.
#include <algorithm>
#include <limits>

#include "balancer/lb/algorithm.h"
#include "balancer/lb/hash.h"

namespace tandem::balancer::lb {

namespace {

bool excluded(const PickRequest& r, size_t i) { return r.excluded && i < r.excluded->size() && (*r.excluded)[i]; }
std::uint32_t load_of(const PickRequest& r, size_t i) { return r.load && i < r.load->size() ? (*r.load)[i] : 0; }

// Smooth weighted round robin: every pick adds each member's weight to its
// credit and takes the member with the most credit, which then pays the total.
// Weights 5,1,1 give a,a,b,a,c,a,a rather than a,a,a,a,a,b,c: spread, exact
// over a cycle, and cheap to rebuild when a weight changes at run time.
class RoundRobin final : public Algorithm {
 public:
  void rebuild(std::span<const Member> members) override {
    std::vector<long long> credit(members.size(), 0);
    // Keep credits of members that stay, so a weight change does not restart the cycle.
    for (size_t i = 0; i < members.size() && i < credit_.size(); ++i) credit[i] = credit_[i];
    credit_ = std::move(credit);
    weights_.assign(members.size(), 0);
    for (size_t i = 0; i < members.size(); ++i) weights_[i] = members[i].weight;
  }

  int pick(const PickRequest& r) override {
    long long total = 0;
    int best = -1;
    for (size_t i = 0; i < weights_.size(); ++i) {
      if (weights_[i] == 0 || excluded(r, i)) continue;
      credit_[i] += weights_[i];
      total += weights_[i];
      if (best < 0 || credit_[i] > credit_[static_cast<size_t>(best)]) best = static_cast<int>(i);
    }
    if (best >= 0) credit_[static_cast<size_t>(best)] -= total;
    return best;
  }

 private:
  std::vector<std::uint32_t> weights_;
  std::vector<long long> credit_;
};

// Fewest connections relative to weight; ties go round robin so that an idle
// farm still spreads (HAProxy's behaviour).
class LeastConn final : public Algorithm {
 public:
  void rebuild(std::span<const Member> members) override {
    weights_.clear();
    for (const Member& m : members) weights_.push_back(m.weight);
    if (next_ >= weights_.size()) next_ = 0;
  }

  int pick(const PickRequest& r) override {
    int best = -1;
    double best_score = std::numeric_limits<double>::max();
    size_t n = weights_.size();
    for (size_t k = 0; k < n; ++k) {
      size_t i = (next_ + k) % n;
      if (weights_[i] == 0 || excluded(r, i)) continue;
      double score = static_cast<double>(load_of(r, i) + 1) / weights_[i];
      if (score < best_score) {
        best_score = score;
        best = static_cast<int>(i);
      }
    }
    if (best >= 0) next_ = (static_cast<size_t>(best) + 1) % n;
    return best;
  }

 private:
  std::vector<std::uint32_t> weights_;
  size_t next_ = 0;
};

// The first usable member (by id order) that has a free slot; excluded
// members (full ones) are skipped, so the next one fills up only then.
class First final : public Algorithm {
 public:
  void rebuild(std::span<const Member> members) override {
    order_.clear();
    for (size_t i = 0; i < members.size(); ++i) order_.push_back({members[i].id, i, members[i].weight});
    std::sort(order_.begin(), order_.end(), [](const Entry& a, const Entry& b) { return a.id < b.id; });
  }

  int pick(const PickRequest& r) override {
    for (const Entry& e : order_)
      if (e.weight && !excluded(r, e.index)) return static_cast<int>(e.index);
    return -1;
  }

 private:
  struct Entry {
    std::uint32_t id;
    size_t index;
    std::uint32_t weight;
  };
  std::vector<Entry> order_;
};

// random(N): N weighted draws, the least loaded wins (the power of two choices).
class Random final : public Algorithm {
 public:
  explicit Random(std::uint32_t draws) : draws_(draws) {}
  void rebuild(std::span<const Member> members) override {
    cumulative_.clear();
    std::uint64_t sum = 0;
    for (const Member& m : members) {
      sum += m.weight;
      cumulative_.push_back(sum);
    }
  }

  int pick(const PickRequest& r) override {
    if (cumulative_.empty() || cumulative_.back() == 0) return -1;
    std::mt19937 fallback(12345);
    std::mt19937& rng = r.rng ? *r.rng : fallback;
    int best = -1;
    for (std::uint32_t d = 0; d < draws_ * 4 && (best < 0 || d < draws_); ++d) {
      std::uint64_t x = std::uniform_int_distribution<std::uint64_t>(0, cumulative_.back() - 1)(rng);
      size_t i = static_cast<size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), x) - cumulative_.begin());
      if (excluded(r, i)) continue;
      if (best < 0 || load_of(r, i) < load_of(r, static_cast<size_t>(best))) best = static_cast<int>(i);
    }
    if (best >= 0) return best;
    for (size_t i = 0; i < cumulative_.size(); ++i) {  // every draw hit an excluded member
      std::uint64_t w = cumulative_[i] - (i ? cumulative_[i - 1] : 0);
      if (w && !excluded(r, i)) return static_cast<int>(i);
    }
    return -1;
  }

 private:
  std::uint32_t draws_;
  std::vector<std::uint64_t> cumulative_;
};

// map-based hashing: a table where each member appears `weight` times, in
// round-robin order; the key's hash picks a slot. Changing the member set
// remaps most keys (use consistent hashing to avoid that).
class MapHash final : public Algorithm {
 public:
  void rebuild(std::span<const Member> members) override {
    table_.clear();
    RoundRobin rr;
    rr.rebuild(members);
    std::uint64_t total = 0;
    for (const Member& m : members) total += m.weight;
    PickRequest none;
    for (std::uint64_t k = 0; k < total; ++k) table_.push_back(rr.pick(none));
    fallback_.rebuild(members);
  }

  int pick(const PickRequest& r) override {
    if (table_.empty()) return -1;
    if (!r.hash) return fallback_.pick(r);
    size_t start = *r.hash % table_.size();
    for (size_t k = 0; k < table_.size(); ++k) {
      int i = table_[(start + k) % table_.size()];
      if (!excluded(r, static_cast<size_t>(i))) return i;
    }
    return -1;
  }

 private:
  std::vector<int> table_;
  RoundRobin fallback_;
};

// Consistent hashing: each member owns points on a ring, placed by hashing its
// id (not its position), `weight` * kPointsPerWeight of them. A key goes to the
// first point at or after its hash. When a member leaves, only its keys move;
// when it returns, exactly those keys come back.
class ConsistentHash final : public Algorithm {
 public:
  static constexpr std::uint32_t kPointsPerWeight = 16;

  void rebuild(std::span<const Member> members) override {
    ring_.clear();
    for (size_t i = 0; i < members.size(); ++i) {
      for (std::uint32_t p = 0; p < members[i].weight * kPointsPerWeight; ++p) {
        std::uint32_t point = avalanche(members[i].id * 0x9e3779b1U + avalanche(p + 1));
        ring_.push_back({point, static_cast<int>(i)});
      }
    }
    std::sort(ring_.begin(), ring_.end(), [](const Point& a, const Point& b) {
      return a.hash != b.hash ? a.hash < b.hash : a.member < b.member;
    });
    fallback_.rebuild(members);
  }

  int pick(const PickRequest& r) override {
    if (ring_.empty()) return -1;
    if (!r.hash) return fallback_.pick(r);
    auto it = std::lower_bound(ring_.begin(), ring_.end(), *r.hash,
                               [](const Point& p, std::uint32_t h) { return p.hash < h; });
    size_t start = static_cast<size_t>(it - ring_.begin());
    for (size_t k = 0; k < ring_.size(); ++k) {
      const Point& p = ring_[(start + k) % ring_.size()];
      if (!excluded(r, static_cast<size_t>(p.member))) return p.member;
    }
    return -1;
  }

 private:
  struct Point {
    std::uint32_t hash;
    int member;
  };
  std::vector<Point> ring_;
  RoundRobin fallback_;
};

}  // namespace

std::unique_ptr<Algorithm> make_algorithm(const config::BalanceSpec& spec) {
  using config::Balance;
  switch (spec.algorithm) {
    case Balance::roundrobin:
    case Balance::static_rr:
      return std::make_unique<RoundRobin>();
    case Balance::leastconn:
      return std::make_unique<LeastConn>();
    case Balance::first:
      return std::make_unique<First>();
    case Balance::random:
      return std::make_unique<Random>(spec.random_draws);
    case Balance::source:
    case Balance::uri:
    case Balance::url_param:
    case Balance::hdr:
      if (spec.hash_type == config::HashType::consistent) return std::make_unique<ConsistentHash>();
      return std::make_unique<MapHash>();
  }
  return std::make_unique<RoundRobin>();
}

std::uint32_t hash_for(const config::BalanceSpec& spec, std::string_view key) {
  return hash_key(key, spec.hash_function, spec.hash_avalanche);
}

}  // namespace tandem::balancer::lb
