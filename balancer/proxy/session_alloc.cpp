#include "balancer/proxy/session_alloc.h"

#include <cstdint>

// jemalloc's extended API, weak: present when the binary links jemalloc
// (tandem-balancer), null otherwise (unit tests, sanitizer builds).
extern "C" {
void* mallocx(std::size_t size, int flags) __attribute__((weak));
void sdallocx(void* ptr, std::size_t size, int flags) __attribute__((weak));
int mallctl(const char* name, void* oldp, std::size_t* oldlenp, void* newp, std::size_t newlen) __attribute__((weak));
}

namespace tandem::balancer::proxy {
namespace {

// jemalloc's flag encodings (jemalloc.h), spelled here so that the library
// builds without the header: MALLOCX_ARENA(a) and MALLOCX_TCACHE_NONE.
int arena_flags(unsigned arena) { return static_cast<int>((arena + 1) << 20) | (1 << 8); }

// This thread's sessions arena; 0 with `ok` false when none could be made.
struct Arena {
  unsigned index = 0;
  bool ok = false;
};

Arena make_arena() {
  Arena a;
  if (!mallocx || !sdallocx || !mallctl) return a;
  std::size_t len = sizeof a.index;
  a.ok = mallctl("arenas.create", &a.index, &len, nullptr, 0) == 0;
  return a;
}

const Arena& this_thread_arena() {
  thread_local const Arena arena = make_arena();
  return arena;
}

}  // namespace

bool sessions_have_own_arena() { return this_thread_arena().ok; }

void* session_alloc(std::size_t bytes) {
  const Arena& a = this_thread_arena();
  if (!a.ok) return ::operator new(bytes);
  // No thread cache: a cached region could come from, or go to, another
  // arena's slabs. The arena's lock is this worker's alone in practice.
  void* p = mallocx(bytes, arena_flags(a.index));
  if (!p) throw std::bad_alloc();
  return p;
}

void session_free(void* p, std::size_t bytes) noexcept {
  if (!this_thread_arena().ok) {
    ::operator delete(p);
    return;
  }
  // jemalloc finds the region's arena from its address: any thread may free.
  sdallocx(p, bytes, 1 << 8);  // MALLOCX_TCACHE_NONE
}

}  // namespace tandem::balancer::proxy
