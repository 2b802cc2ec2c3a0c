// The process's one pool of worker threads, passed to whatever runs work in parallel:
// blocking collection (files, commands, SQL), evaluation of large snapshots, the state
// store's writes. Bounded: nothing else in drift starts threads (the io thread and the
// caller of ParallelFor aside). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace drift {

class Executor {
 public:
  // `threads` workers (0: one per core).
  explicit Executor(size_t threads = 0);
  // Runs what was posted, then joins the workers.
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  size_t threads() const { return workers_.size(); }

  // Runs fn on a worker, some time later.
  void Post(std::function<void()> fn);

  // fn(0) … fn(n - 1) on up to `width` threads at once (0: one per core), the calling thread
  // among them; returns when every call has returned. The caller takes indices too, so a
  // ParallelFor inside a worker (nested) finishes even when every worker is busy, and never
  // starts threads of its own.
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn, size_t width = 0);

  // One per core (at least 1).
  static size_t Cores();

 private:
  void Work();
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace drift
