#pragma once
// The `peers` sections of the configuration serving now, for peersync to
// compare with its own peers (StickTables.ListTables). Each runtime posts its
// sections when built and takes them down when a reload retires it (or when
// it is dropped, as a reload's candidate that failed): the oldest posting
// still up is the configuration serving, and a reload's candidate shows only
// once it has replaced the old one. Shared (not owned by the registry alone)
// so that no order of destruction leaves a runtime with a dangling board.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace tandem::balancer::stick {

struct PeersSectionInfo {
  std::string name;
  std::vector<std::string> peers;  // peer names in declaration order
  bool disabled = false;
};

class PeersBoard {
 public:
  std::uint64_t post(std::vector<PeersSectionInfo> sections) {
    std::lock_guard lock(mu_);
    posts_.emplace(++next_, std::move(sections));
    return next_;
  }
  void take_down(std::uint64_t token) {
    std::lock_guard lock(mu_);
    posts_.erase(token);
  }
  std::vector<PeersSectionInfo> serving() const {
    std::lock_guard lock(mu_);
    return posts_.empty() ? std::vector<PeersSectionInfo>{} : posts_.begin()->second;
  }

 private:
  mutable std::mutex mu_;
  std::uint64_t next_ = 0;
  std::map<std::uint64_t, std::vector<PeersSectionInfo>> posts_;
};

}  // namespace tandem::balancer::stick
