#include "balancer/net/deadlines.h"

namespace tandem::balancer::net {

void Deadline::disarm() {
  if (!list_) return;
  if (prev_) prev_->next_ = next_;
  else list_->head = next_;
  if (next_) next_->prev_ = prev_;
  else list_->tail = prev_;
  prev_ = next_ = nullptr;
  list_ = nullptr;
}

DeadlineLists::~DeadlineLists() {
  for (List* l : lists_) {
    while (l->head) l->head->disarm();
    delete l;
  }
}

List* DeadlineLists::list_for(Millis duration) {
  for (List* l : lists_)
    if (l->duration == duration) return l;
  List* l = new List{duration, nullptr, nullptr};
  lists_.push_back(l);
  return l;
}

void DeadlineLists::arm(Deadline& d, Millis duration, SteadyTime now) {
  d.disarm();
  if (duration.count() <= 0) return;
  List* l = (d.list_ && d.list_->duration == duration) ? d.list_ : list_for(duration);
  d.expires_ = now + duration;
  d.list_ = l;
  d.prev_ = l->tail;
  d.next_ = nullptr;
  if (l->tail) l->tail->next_ = &d;
  else l->head = &d;
  l->tail = &d;
}

void DeadlineLists::expire(SteadyTime now) {
  for (List* l : lists_) {
    while (l->head && l->head->expires_ <= now) {
      Deadline* d = l->head;
      d->disarm();
      d->on_expire_(d->ctx_);
    }
  }
}

SteadyTime DeadlineLists::next_expiry() const {
  SteadyTime t = SteadyTime::max();
  for (const List* l : lists_)
    if (l->head && l->head->expires_ < t) t = l->head->expires_;
  return t;
}

bool DeadlineLists::empty() const {
  for (const List* l : lists_)
    if (l->head) return false;
  return true;
}

}  // namespace tandem::balancer::net
