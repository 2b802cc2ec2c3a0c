// What collectors run on: one Boost.Asio io_context (HTTP, timers) plus a small worker pool
// for blocking work (reading files, running commands, SQL, parsing).
#pragma once

#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <memory>
#include <span>
#include <vector>

#include "collectors/collector.h"
#include "collectors/http_client.h"
#include "core/executor.h"

namespace drift {

class KubeApi;

class Runtime {
 public:
  // Blocking work runs on `executor`, which must outlive the runtime.
  Runtime(int max_concurrency, int max_per_host, Executor& executor);
  // Waits for the blocking work it started.
  ~Runtime();
  boost::asio::io_context& io() { return io_; }
  // Runs fn on the executor. Thread-safe.
  void Blocking(std::function<void()> fn);
  // Gives the pool's threads this nice value (Linux: per thread) before they run the next
  // job: the daemon's parsing and diffing then yield to the io thread serving the API.
  // Before the first Blocking call.
  void set_worker_nice(int nice) { worker_nice_ = nice; }
  // Waits until the work given to Blocking so far is done (at shutdown: nothing may be
  // given after).
  void Drain();
  // io thread only.
  HttpClient& http() { return *http_; }
  // The Kubernetes API reads of every collection on this runtime (io thread only).
  KubeApi& kube() { return *kube_; }

 private:
  boost::asio::io_context io_;
  Executor& executor_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<KubeApi> kube_;  // after http_: destroyed first
  int worker_nice_ = 0;
  std::mutex mu_;
  std::condition_variable idle_;
  size_t in_flight_ = 0;  // Blocking work not finished
};

// Collects every collector once, at most max_concurrency at a time, and returns their
// results in order. Runs the io_context on the calling thread until all are done.
// `on_done(i, ok)`, when given, is called on the calling thread as collection i finishes.
std::vector<Result<Document>> CollectAll(Runtime& runtime,
                                         std::span<const Collector* const> collectors,
                                         int max_concurrency,
                                         const std::function<void(size_t, bool)>& on_done = {});

// One collector, on a runtime of its own (tests, `drift diff`-like uses).
Result<Document> CollectOnce(const Collector& collector, CollectRequest request = {});

}  // namespace drift
