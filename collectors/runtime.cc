#include "collectors/runtime.h"

#include "collectors/kube_api.h"

#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <optional>

namespace drift {

Runtime::Runtime(int max_concurrency, int max_per_host, Executor& executor)
    : executor_(executor),
      http_(std::make_unique<HttpClient>(io_, max_concurrency, max_per_host)),
      kube_(std::make_unique<KubeApi>(*this)) {}

Runtime::~Runtime() {
  Drain();
  kube_.reset();
  http_.reset();
}

void Runtime::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return in_flight_ == 0; });
}

void Runtime::Blocking(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++in_flight_;
  }
  executor_.Post([this, nice = worker_nice_, fn = std::move(fn)] {
    if (nice != 0) {
      thread_local int niced = 0;
      if (niced != nice) {
        niced = nice;  // best effort: without the right to, the thread keeps its priority
        setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice);
      }
    }
    fn();
    std::lock_guard<std::mutex> lock(mu_);
    if (--in_flight_ == 0) idle_.notify_all();
  });
}

void BlockingCollector::Start(Runtime& rt, CollectRequest request, Done done) const {
  rt.Blocking([this, request = std::move(request), done = std::move(done)] {
    done(Collect(request));
  });
}

std::vector<Result<Document>> CollectAll(Runtime& rt,
                                         std::span<const Collector* const> collectors,
                                         int max_concurrency,
                                         const std::function<void(size_t, bool)>& on_done) {
  std::vector<std::optional<Result<Document>>> results(collectors.size());
  size_t next = 0, finished = 0;
  auto& io = rt.io();
  auto guard = boost::asio::make_work_guard(io);
  // Everything below runs on this thread (inside io.run()); completions are posted here.
  std::function<void()> start_next = [&] {
    if (next >= collectors.size()) return;
    size_t i = next++;
    collectors[i]->Start(rt, {}, [&, i](Result<Document> r) {
      boost::asio::post(io, [&, i, r = std::move(r)]() mutable {
        if (on_done) on_done(i, r.ok());
        results[i] = std::move(r);
        if (++finished == collectors.size()) {
          // Done: connections curl keeps for reuse may still have waits pending (and the
          // Kubernetes reads their cancelled timers); they must not keep this run going.
          guard.reset();
          io.stop();
          return;
        }
        start_next();
      });
    });
  };
  boost::asio::post(io, [&] {
    if (collectors.empty()) guard.reset();
    for (int k = 0; k < max_concurrency; ++k) start_next();
  });
  io.restart();
  io.run();
  std::vector<Result<Document>> out;
  out.reserve(results.size());
  for (auto& r : results) out.push_back(std::move(*r));
  return out;
}

Result<Document> CollectOnce(const Collector& collector, CollectRequest request) {
  Executor executor(2);
  Runtime rt(4, 4, executor);
  Result<Document> out = MakeError("not collected");
  rt.io().restart();
  boost::asio::post(rt.io(), [&] {
    collector.Start(rt, std::move(request), [&](Result<Document> r) {
      boost::asio::post(rt.io(), [&, r = std::move(r)]() mutable {
        out = std::move(r);
        rt.io().stop();
      });
    });
  });
  auto guard = boost::asio::make_work_guard(rt.io());
  rt.io().run();
  return out;
}

}  // namespace drift
