// The process's executor: every index once, bounded threads, nesting that cannot deadlock.
#include "core/executor.h"

#include <atomic>
#include <mutex>
#include <set>

#include "tests/testing.h"

namespace drift {
namespace {

TEST_CASE("executor: ParallelFor runs every index once, on the workers and the caller") {
  Executor executor(3);
  CHECK(executor.threads() == 3);
  std::vector<std::atomic<int>> seen(10'000);
  std::mutex mu;
  std::set<std::thread::id> threads;
  executor.ParallelFor(seen.size(), [&](size_t i) {
    seen[i]++;
    std::lock_guard<std::mutex> lock(mu);
    threads.insert(std::this_thread::get_id());
  }, 8);
  for (const auto& s : seen) CHECK(s.load() == 1);
  CHECK(threads.size() <= 4);  // three workers and the caller, however wide it was asked
  executor.ParallelFor(0, [&](size_t) { FAIL("no index"); });
  int serial = 0;
  executor.ParallelFor(5, [&](size_t) { ++serial; }, 1);  // width 1: the caller alone
  CHECK(serial == 5);
}

TEST_CASE("executor: ParallelFor inside busy workers finishes (the caller takes the work)") {
  Executor executor(1);
  std::atomic<int> sum{0};
  std::atomic<int> done{0};
  for (int k = 0; k < 4; ++k)
    executor.Post([&] {
      // Nested: the only worker is this one, so nothing else can help.
      executor.ParallelFor(100, [&](size_t i) { sum += static_cast<int>(i); });
      ++done;
    });
  executor.ParallelFor(100, [&](size_t i) { sum += static_cast<int>(i); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (done.load() < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(done.load() == 4);
  CHECK(sum.load() == 5 * 4950);
}

TEST_CASE("executor: what was posted runs before the executor is gone") {
  std::atomic<int> ran{0};
  {
    Executor executor(2);
    for (int i = 0; i < 50; ++i)
      executor.Post([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ++ran;
      });
  }
  CHECK(ran.load() == 50);
}

}  // namespace
}  // namespace drift
