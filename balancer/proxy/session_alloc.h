#pragma once
// Where HTTP sessions live. An idle keep-alive connection is one session
// object; a coroutine frame of a request in flight can fall in the same
// allocator size class, and frames freed when their connections go idle
// leave holes among the sessions (measured: jemalloc's 640-byte slabs half
// full, +570 B per idle connection). Sessions are therefore allocated from
// a jemalloc arena of their own per thread, where only sessions share the
// slabs: idle connections pack densely, and the slabs still go back to the
// system as sessions end.
//
// jemalloc is linked into the tandem-balancer binary only; in test binaries
// (and under the sanitizers) the functions below are plain new/delete.

#include <cstddef>
#include <new>

namespace tandem::balancer::proxy {

void* session_alloc(std::size_t bytes);
void session_free(void* p, std::size_t bytes) noexcept;
// Whether sessions get an arena of their own in this process (jemalloc linked).
bool sessions_have_own_arena();

template <class T>
struct SessionAllocator {
  using value_type = T;
  SessionAllocator() = default;
  template <class U>
  SessionAllocator(const SessionAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(session_alloc(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { session_free(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const SessionAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace tandem::balancer::proxy
