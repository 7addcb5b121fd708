#pragma once
// Per-worker I/O buffers of tune.bufsize bytes. A session holds one only
// while data is in flight: an idle keep-alive connection holds none, which is
// what keeps 5,000 idle connections cheap. Freed buffers are kept for reuse;
// trim(), called about once a second, unmaps those beyond `max_free` that no
// one needed during the whole last period. A hard cap at release instead
// made a busy worker whose buffers in use swing by more than the cap (many
// short connections) pay an mmap, a page fault and a munmap per connection.
// Buffers are mmap'd, not malloc'd: a
// burst of thousands of buffers would otherwise leave holes in the heap that
// long-lived objects pin, and the memory would never go back to the system.
// Single-threaded.

#include <algorithm>
#include <cstddef>
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <string_view>
#include <memory>
#include <vector>

namespace tandem::balancer::net {

class BufferPool {
 public:
  BufferPool(std::size_t buffer_size, std::size_t max_free) : size_(buffer_size), max_free_(max_free) {}
  ~BufferPool() {
    for (char* b : free_) unmap(b);
  }
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  char* acquire() {
    ++in_use_;
    if (!free_.empty()) {
      // The most recently freed: likeliest still in the CPU's caches.
      char* b = free_.back();
      free_.pop_back();
      if (free_.size() < low_water_) low_water_ = free_.size();
      return b;
    }
    low_water_ = 0;
    void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();  // out of memory: nothing sensible to do on the data path
    return static_cast<char*>(p);
  }

  void release(char* b) {
    if (!b) return;
    --in_use_;
    free_.push_back(b);
  }

  // Unmaps the free buffers beyond `max_free` that stayed unused since the
  // last trim (the oldest ones), and starts a new period.
  void trim() {
    std::size_t surplus = low_water_ > max_free_ ? low_water_ - max_free_ : 0;
    surplus = std::min(surplus, free_.size());
    for (std::size_t i = 0; i < surplus; ++i) unmap(free_[i]);
    free_.erase(free_.begin(), free_.begin() + static_cast<std::ptrdiff_t>(surplus));
    low_water_ = free_.size();
  }
  // More free buffers are kept than `max_free`: trim() has work to do.
  bool has_surplus() const { return free_.size() > max_free_; }

  std::size_t buffer_size() const { return size_; }
  std::size_t in_use() const { return in_use_; }

 private:
  void unmap(char* b) { ::munmap(b, size_); }

  std::size_t size_;
  std::size_t max_free_;
  std::size_t in_use_ = 0;
  std::size_t low_water_ = 0;  // the fewest free buffers since the last trim()
  std::vector<char*> free_;
};

// A byte buffer with a read and a write position, over a pool buffer.
// [begin, end) holds received bytes not yet consumed.
class IoBuffer {
 public:
  IoBuffer() = default;
  IoBuffer(const IoBuffer&) = delete;
  IoBuffer& operator=(const IoBuffer&) = delete;
  ~IoBuffer() { release(); }

  bool allocated() const { return data_ != nullptr; }
  void ensure(BufferPool& pool) {
    if (!data_) {
      pool_ = &pool;
      data_ = pool.acquire();
      capacity_ = pool.buffer_size();
      begin_ = end_ = 0;
    }
  }
  // Gives the memory back when nothing is pending.
  void release() {
    if (data_ && pool_) pool_->release(data_);
    data_ = nullptr;
    begin_ = end_ = capacity_ = 0;
  }
  void release_if_empty() {
    if (empty()) release();
  }

  char* data() { return data_ + begin_; }
  const char* data() const { return data_ + begin_; }
  std::size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  std::string_view view() const { return std::string_view(data_ + begin_, end_ - begin_); }

  // Room to read into, after moving pending bytes to the front if that helps.
  char* space() {
    if (begin_ > 0 && (end_ == capacity_ || begin_ == end_)) compact();
    return data_ + end_;
  }
  std::size_t space_size() const { return capacity_ - end_; }
  void commit(std::size_t n) { end_ += n; }
  void consume(std::size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  void compact() {
    if (begin_ == 0) return;
    std::size_t n = end_ - begin_;
    if (n) std::memmove(data_, data_ + begin_, n);
    begin_ = 0;
    end_ = n;
  }
  std::size_t capacity() const { return capacity_; }

 private:
  BufferPool* pool_ = nullptr;
  char* data_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace tandem::balancer::net
