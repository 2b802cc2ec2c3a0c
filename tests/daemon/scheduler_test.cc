#include "daemon/scheduler.h"

#include <set>

#include "tests/testing.h"

namespace drift {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using TP = Scheduler::TimePoint;

TEST_CASE("scheduler: everything is due at start, then every interval within ±10%") {
  TP t0{};
  Scheduler s(8, 42);
  for (int i = 0; i < 5; ++i) s.Add(milliseconds(60000), t0 + seconds(1));
  CHECK(s.TakeDue(t0).empty());
  auto due = s.TakeDue(t0 + seconds(1));
  CHECK(due.size() == 5);
  std::set<TP> nexts;
  for (size_t id : due) {
    s.Done(id, t0 + seconds(2));
    TP next = s.due(id);
    CHECK(next >= t0 + seconds(2) + milliseconds(54000));
    CHECK(next <= t0 + seconds(2) + milliseconds(66000));
    nexts.insert(next);
  }
  CHECK(nexts.size() > 1);  // jitter spreads them
  CHECK(*s.NextDue() == *nexts.begin());
  // Over many rounds, the jitter stays in bounds and averages out near the interval.
  TP now = t0;
  double total = 0;
  for (int round = 0; round < 200; ++round) {
    auto d = s.TakeDue(*s.NextDue());
    REQUIRE_FALSE(d.empty());
    now = *s.NextDue() < now ? now : s.due(d[0]);
    s.Done(d[0], now);
    double gap = std::chrono::duration<double>(s.due(d[0]) - now).count();
    CHECK(gap >= 54.0);
    CHECK(gap <= 66.0);
    total += gap;
  }
  CHECK(total / 200 > 58.0);
  CHECK(total / 200 < 62.0);
}

TEST_CASE("scheduler: a target never overlaps itself and the concurrency limit holds") {
  TP t0{};
  Scheduler s(2, 7);
  for (int i = 0; i < 5; ++i) s.Add(milliseconds(1000), t0);
  auto first = s.TakeDue(t0);
  CHECK(first == std::vector<size_t>{0, 1});
  CHECK(s.running() == 2);
  CHECK(s.TakeDue(t0 + seconds(10)).empty());  // no free slot, however late
  s.Done(0, t0 + seconds(10));
  auto next = s.TakeDue(t0 + seconds(10));
  CHECK(next == std::vector<size_t>{2});  // the longest-waiting one, not 0 again
  // Triggering a running target reruns it right after it finishes, never concurrently.
  s.Trigger(1, t0 + seconds(10));
  CHECK(s.is_running(1));
  s.Done(1, t0 + seconds(11));
  CHECK(s.due(1) == t0 + seconds(11));
  CHECK_FALSE(s.is_running(1));
  s.Trigger(4, t0 + seconds(12));
  CHECK(s.due(4) == t0 + seconds(12));
}

}  // namespace
}  // namespace drift
