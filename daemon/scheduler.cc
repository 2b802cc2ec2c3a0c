#include "daemon/scheduler.h"

#include <algorithm>

namespace drift {

size_t Scheduler::Add(Millis interval, TimePoint now) {
  targets_.push_back(T{interval, now, false});
  heap_.emplace(now, targets_.size() - 1);
  return targets_.size() - 1;
}

std::vector<size_t> Scheduler::TakeDue(TimePoint now) {
  std::vector<size_t> due;
  size_t free = max_ > running_ ? max_ - running_ : 0;
  while (due.size() < free && !heap_.empty() && heap_.top().first <= now) {
    Entry e = heap_.top();
    heap_.pop();
    if (Stale(e)) continue;
    targets_[e.second].running = true;
    due.push_back(e.second);
  }
  running_ += due.size();
  return due;
}

void Scheduler::Done(size_t id, TimePoint now) {
  T& t = targets_[id];
  if (!t.running) return;
  t.running = false;
  --running_;
  if (t.triggered) {
    t.triggered = false;
    t.due = now;
    heap_.emplace(t.due, id);
    return;
  }
  // ±10% jitter spreads targets that share an interval.
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  auto ms = std::chrono::duration<double, std::milli>(t.interval) * jitter(rng_);
  t.due = now + std::chrono::duration_cast<Millis>(ms);
  heap_.emplace(t.due, id);
}

void Scheduler::Trigger(size_t id, TimePoint now) {
  T& t = targets_[id];
  if (t.running) {
    t.triggered = true;
  } else {
    t.due = now;
    heap_.emplace(now, id);
  }
}

std::optional<Scheduler::TimePoint> Scheduler::NextDue() const {
  while (!heap_.empty() && Stale(heap_.top())) heap_.pop();
  if (heap_.empty()) return std::nullopt;
  return heap_.top().first;
}

}  // namespace drift
