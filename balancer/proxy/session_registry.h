#pragma once
// The client connections a worker serves, each tagged with the runtime it
// runs on, so that `hard-stop-after` can end what an old configuration still
// serves after a reload. An intrusive list: a session carries its own links
// (no allocation per connection), and only its worker's thread touches them.

#include <cstddef>

namespace tandem::balancer::runtime {
class Runtime;
}

namespace tandem::balancer::proxy {

struct SessionHook {
  SessionHook* prev = nullptr;
  SessionHook* next = nullptr;
  const runtime::Runtime* rt = nullptr;
  // Ends the connection now: shuts its sockets down (never closes them, so
  // no descriptor can be reused under the session), and the session unwinds
  // through its ordinary error paths on its next wake-up.
  void (*hard_stop)(SessionHook*) = nullptr;
};

class SessionRegistry {
 public:
  void attach(SessionHook& h) {
    h.prev = nullptr;
    h.next = head_;
    if (head_) head_->prev = &h;
    head_ = &h;
    ++size_;
  }
  void detach(SessionHook& h) {
    if (h.prev) h.prev->next = h.next;
    else if (head_ == &h) head_ = h.next;
    else return;  // not attached
    if (h.next) h.next->prev = h.prev;
    h.prev = h.next = nullptr;
    --size_;
  }
  // Hard-stops every session of `rt`; returns how many.
  std::size_t hard_stop(const runtime::Runtime* rt) {
    std::size_t n = 0;
    for (SessionHook* h = head_; h;) {
      SessionHook* next = h->next;  // hard_stop never detaches, but stay safe
      if (h->rt == rt && h->hard_stop) {
        h->hard_stop(h);
        ++n;
      }
      h = next;
    }
    return n;
  }
  std::size_t size() const { return size_; }

 private:
  SessionHook* head_ = nullptr;
  std::size_t size_ = 0;
};

// Attaches a hook for the lifetime of a scope (a coroutine's frame).
class ScopedSessionHook {
 public:
  ScopedSessionHook(SessionRegistry& r, SessionHook& h) : r_(r), h_(h) { r_.attach(h_); }
  ~ScopedSessionHook() { r_.detach(h_); }
  ScopedSessionHook(const ScopedSessionHook&) = delete;
  ScopedSessionHook& operator=(const ScopedSessionHook&) = delete;

 private:
  SessionRegistry& r_;
  SessionHook& h_;
};

}  // namespace tandem::balancer::proxy
