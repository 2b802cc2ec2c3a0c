// When each (service, source, env) is collected next (SPEC §7): every target on its interval
// with ±10% jitter, at most max_concurrency at once, a target never overlapping itself.
// Pure logic over an injected time, so tests run schedules instantly. Not thread-safe.
// A heap of due times keeps each call O(log n) in the number of targets: with 30,000 targets a
// linear scan per finished collection made the scheduler the daemon's main CPU cost.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <random>
#include <utility>
#include <vector>

namespace drift {

class Scheduler {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Millis = std::chrono::milliseconds;

  Scheduler(size_t max_concurrency, uint64_t seed) : max_(max_concurrency), rng_(seed) {}

  // A new target, first due at `now` (every target is tried once at start).
  size_t Add(Millis interval, TimePoint now);
  // Targets due at `now`, up to the free slots, earliest first; they are marked running.
  std::vector<size_t> TakeDue(TimePoint now);
  // A run finished: the next one is due an interval (±10%) from now.
  void Done(size_t id, TimePoint now);
  // Makes targets due now (POST /api/v1/check); running ones run again when they finish.
  void Trigger(size_t id, TimePoint now);
  // Moves a target's next run (a reload keeping the schedule of an unchanged source).
  void Reschedule(size_t id, TimePoint due) {
    targets_[id].due = due;
    heap_.emplace(due, id);
  }
  // The earliest time a target not running is due, if any.
  std::optional<TimePoint> NextDue() const;
  size_t running() const { return running_; }
  size_t size() const { return targets_.size(); }
  bool is_running(size_t id) const { return targets_[id].running; }
  TimePoint due(size_t id) const { return targets_[id].due; }

 private:
  struct T {
    Millis interval;
    TimePoint due;
    bool running = false;
    bool triggered = false;  // Trigger() while running: run again when done
  };
  size_t max_;
  size_t running_ = 0;
  std::vector<T> targets_;
  // (due, id), earliest first; an entry whose due no longer matches its target, or whose
  // target is running, is stale and dropped when it reaches the top.
  using Entry = std::pair<TimePoint, size_t>;
  mutable std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  bool Stale(const Entry& e) const {
    return targets_[e.second].running || targets_[e.second].due != e.first;
  }
  std::mt19937_64 rng_;
};

}  // namespace drift
