#include "daemon/scheduler.h"

#include <algorithm>

namespace drift {

size_t Scheduler::Add(Millis interval, TimePoint now) {
  targets_.push_back(T{interval, now, false});
  return targets_.size() - 1;
}

std::vector<size_t> Scheduler::TakeDue(TimePoint now) {
  std::vector<size_t> due;
  for (size_t i = 0; i < targets_.size(); ++i)
    if (!targets_[i].running && targets_[i].due <= now) due.push_back(i);
  std::stable_sort(due.begin(), due.end(),
                   [&](size_t a, size_t b) { return targets_[a].due < targets_[b].due; });
  size_t free = max_ > running_ ? max_ - running_ : 0;
  if (due.size() > free) due.resize(free);
  for (size_t i : due) targets_[i].running = true;
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
    return;
  }
  // ±10% jitter spreads targets that share an interval.
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  auto ms = std::chrono::duration<double, std::milli>(t.interval) * jitter(rng_);
  t.due = now + std::chrono::duration_cast<Millis>(ms);
}

void Scheduler::Trigger(size_t id, TimePoint now) {
  T& t = targets_[id];
  if (t.running) t.triggered = true;
  else t.due = now;
}

std::optional<Scheduler::TimePoint> Scheduler::NextDue() const {
  std::optional<TimePoint> best;
  for (const T& t : targets_)
    if (!t.running && (!best || t.due < *best)) best = t.due;
  return best;
}

}  // namespace drift
