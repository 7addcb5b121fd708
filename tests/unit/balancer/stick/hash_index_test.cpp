// HashIndex: open addressing with tags; lookups, growth, erase marks and
// rebuilds, checked against a plain set with chosen hashes (collisions and
// equal tags on purpose).
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>

#include "balancer/stick/hash_index.h"

namespace tandem::balancer::stick {
namespace {

// An index over slab slots 0..n whose "keys" are their slot numbers and
// whose hashes come from `hashes` (the test chooses them).
struct Fixture {
  Slab slab{64, 4};  // unused by the index beyond its signature
  HashIndex index;
  std::map<std::uint32_t, std::uint64_t> hashes;  // indexed slot -> hash

  std::uint32_t find(std::uint32_t key, std::uint64_t hash) {
    return index.find(slab, hash, [&](std::uint32_t i) { return i == key; });
  }
  void insert(std::uint32_t idx, std::uint64_t hash) {
    hashes[idx] = hash;
    index.insert(
        slab, idx, hash, [&](std::uint32_t i) { return hashes.at(i); },
        [&](std::uint32_t i) { EXPECT_TRUE(hashes.count(i)) << "prefetch of a slot not indexed: " << i; });
  }
  void erase(std::uint32_t idx) {
    index.erase(slab, idx, hashes.at(idx));
    hashes.erase(idx);
  }
};

TEST(HashIndex, FindsWhatWasInsertedAndMissesTheRest) {
  Fixture f;
  for (std::uint32_t i = 0; i < 1000; ++i) f.insert(i, i * 0x9e3779b97f4a7c15ULL);
  EXPECT_EQ(f.index.size(), 1000u);
  for (std::uint32_t i = 0; i < 1000; ++i) EXPECT_EQ(f.find(i, i * 0x9e3779b97f4a7c15ULL), i);
  EXPECT_EQ(f.find(5000, 5000 * 0x9e3779b97f4a7c15ULL), kNil);
  // Load stays <= 3/4: 1000 entries need at least 1334 slots.
  EXPECT_GE(f.index.slots() * 3, 1000u * 4);
}

TEST(HashIndex, EqualHashesAndEqualTagsAreTellApartByTheEntry) {
  Fixture f;
  // Same position and same tag for all: the match decides.
  for (std::uint32_t i = 0; i < 10; ++i) f.insert(i, 0x0123456789abcdefULL);
  for (std::uint32_t i = 0; i < 10; ++i) EXPECT_EQ(f.find(i, 0x0123456789abcdefULL), i);
  EXPECT_EQ(f.find(10, 0x0123456789abcdefULL), kNil);
  // Same position, another tag: a miss without matching anything.
  int matched = 0;
  EXPECT_EQ(f.index.find(f.slab, 0x0123456789abcdefULL ^ (1ULL << 35), [&](std::uint32_t) { return ++matched, true; }),
            kNil);
  EXPECT_EQ(matched, 0);
}

TEST(HashIndex, TheTopTagAndTheTopIndexDoNotReadAsAnEmptySlot) {
  Fixture f;
  const std::uint32_t top = Slab::kMaxIndex - 1;
  const std::uint64_t h = ~0ULL;  // tag bits all ones
  f.insert(top, h);
  f.insert(top - 1, h);
  EXPECT_EQ(f.find(top, h), top);
  EXPECT_EQ(f.find(top - 1, h), top - 1);
  f.erase(top);
  EXPECT_EQ(f.find(top, h), kNil);
  EXPECT_EQ(f.find(top - 1, h), top - 1);
}

TEST(HashIndex, AProbeGoesPastErasedSlots) {
  Fixture f;
  // Three entries on one probe run; erase the first two.
  for (std::uint32_t i = 0; i < 3; ++i) f.insert(i, 7 | (std::uint64_t{i} << 32));
  f.erase(0);
  f.erase(1);
  EXPECT_EQ(f.find(2, 7 | (2ULL << 32)), 2u);
  EXPECT_EQ(f.find(0, 7), kNil);
  EXPECT_EQ(f.index.size(), 1u);
  // An insert reuses an erased slot and stays findable.
  f.insert(9, 7 | (9ULL << 32));
  EXPECT_EQ(f.find(9, 7 | (9ULL << 32)), 9u);
  EXPECT_EQ(f.find(2, 7 | (2ULL << 32)), 2u);
}

TEST(HashIndex, ChurnRebuildsInPlaceInsteadOfGrowing) {
  Fixture f;
  std::mt19937_64 rng(42);
  // A steady population of 100 with constant turnover: erased slots must be
  // reclaimed by rebuilds, not by doubling forever.
  std::uint32_t next = 0;
  for (; next < 100; ++next) f.insert(next, rng());
  for (int round = 0; round < 20000; ++round) {
    f.erase(f.hashes.begin()->first);
    f.insert(next++, rng());
  }
  EXPECT_EQ(f.index.size(), 100u);
  EXPECT_LE(f.index.slots(), 512u);
  for (const auto& [idx, h] : f.hashes) EXPECT_EQ(f.find(idx, h), idx);
}

TEST(HashIndex, RandomOperationsAgreeWithAMap) {
  Fixture f;
  std::mt19937_64 rng(7);
  std::uint32_t next = 0;
  for (int op = 0; op < 200000; ++op) {
    const auto r = rng() % 10;
    if (r < 6 || f.hashes.empty()) {
      // Few distinct hashes on purpose: long probe runs and tag collisions.
      f.insert(next++, rng() % 4096 * 0x9e3779b97f4a7c15ULL);
    } else if (r < 9) {
      auto it = f.hashes.lower_bound(static_cast<std::uint32_t>(rng() % next));
      if (it == f.hashes.end()) it = f.hashes.begin();
      f.erase(it->first);
    } else {
      const std::uint32_t k = static_cast<std::uint32_t>(rng() % next);
      auto it = f.hashes.find(k);
      const std::uint64_t h = it == f.hashes.end() ? rng() : it->second;
      EXPECT_EQ(f.find(k, h), it == f.hashes.end() ? kNil : k);
    }
  }
  EXPECT_EQ(f.index.size(), f.hashes.size());
  for (const auto& [idx, h] : f.hashes) ASSERT_EQ(f.find(idx, h), idx);
}

}  // namespace
}  // namespace tandem::balancer::stick
