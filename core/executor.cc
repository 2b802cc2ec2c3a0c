#include "core/executor.h"

#include <algorithm>
#include <atomic>
#include <memory>

namespace drift {

size_t Executor::Cores() { return std::max(1u, std::thread::hardware_concurrency()); }

Executor::Executor(size_t threads) {
  if (threads == 0) threads = Cores();
  workers_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
}

Executor::~Executor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void Executor::Post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(fn));
  }
  wake_.notify_one();
}

void Executor::Work() {
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything posted has run
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    fn();
  }
}

void Executor::ParallelFor(size_t n, const std::function<void(size_t)>& fn, size_t width) {
  if (n == 0) return;
  if (width == 0) width = Cores();
  size_t helpers = std::min({n, width, threads() + 1}) - 1;
  if (helpers == 0) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  // Helpers may start after every index is taken (or even after this returns): they share
  // the counters, and touch `fn` only for an index they took, which the caller waits for.
  struct State {
    std::atomic<size_t> next{0};
    size_t done = 0;
    std::mutex mu;
    std::condition_variable all_done;
  };
  auto st = std::make_shared<State>();
  auto work = [st, n, &fn] {
    size_t mine = 0;
    for (size_t i; (i = st->next.fetch_add(1)) < n; ++mine) fn(i);
    if (mine == 0) return;
    std::lock_guard<std::mutex> lock(st->mu);
    st->done += mine;
    if (st->done == n) st->all_done.notify_all();
  };
  for (size_t h = 0; h < helpers; ++h) Post(work);
  work();
  std::unique_lock<std::mutex> lock(st->mu);
  st->all_done.wait(lock, [&] { return st->done == n; });
}

}  // namespace drift
