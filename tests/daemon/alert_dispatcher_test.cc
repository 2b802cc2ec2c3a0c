// The alert dispatcher alone, against a loopback HTTP server standing in for Alertmanager's
// API: what it posts, backoff after a failure, the store keeping the book across a restart.
#include "daemon/alert_dispatcher.h"

#include <atomic>
#include <mutex>

#include <nlohmann/json.hpp>

#include "tests/support/http_server.h"
#include "tests/testing.h"

namespace drift {
namespace {

using testing::HttpCall;
using testing::HttpReply;

std::vector<Alert> OneAlert() {
  Finding f;
  f.service = "app";
  f.source = "conf";
  f.path = "conf.a";
  f.env = "stage";
  f.rule = "default";
  f.owner = "team-a";
  f.severity = Severity::kCritical;
  f.first_seen = "2026-11-30T10:00:00Z";
  return BuildAlerts({f});
}

// Runs the io loop until `done` or 10 s.
template <typename Pred>
bool RunUntil(Runtime& rt, Pred done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    rt.io().restart();
    rt.io().run_for(std::chrono::milliseconds(20));
  }
  return done();
}

TEST_CASE("alert dispatcher: posts the book's alerts, retries after a failure, counts both") {
  std::mutex mu;
  std::vector<HttpCall> calls;
  std::atomic<int> replies{0};
  testing::TestHttpServer am([&](const HttpCall& c) {
    std::lock_guard<std::mutex> lock(mu);
    calls.push_back(c);
    return HttpReply(replies++ == 0 ? 503 : 200, "");
  });
  Executor executor(2);
  Runtime rt(4, 4, executor);
  Metrics metrics;
  AlertDispatcher d(rt, nullptr, metrics);
  AlertingConfig cfg;
  cfg.alertmanager_url = "http://127.0.0.1:" + std::to_string(am.port()) + "/";
  cfg.headers = {{"X-Scope-OrgID", "drift"}};
  d.Configure(cfg, ".", "https://drift.example.org");
  REQUIRE(d.enabled());
  d.Update("app", "conf", {"stage"}, OneAlert());
  // The first POST fails (503); the retry comes after the 1 s backoff and succeeds.
  REQUIRE(RunUntil(rt, [&] { return replies.load() >= 2; }));
  RunUntil(rt, [&] { return metrics.Serialize().find("drift_alerts_sent_total{result=\"ok\"} 1") != std::string::npos; });
  std::lock_guard<std::mutex> lock(mu);
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].target == "/api/v2/alerts");
  auto body = nlohmann::json::parse(calls[1].body);
  REQUIRE(body.size() == 1);
  CHECK(body[0]["labels"]["alertname"] == "ConfigDrift");
  CHECK(body[0]["labels"]["service"] == "app");
  CHECK(body[0]["labels"]["severity"] == "critical");
  // Alertmanager's "Source" link: the page filtered to the alert's service and env.
  CHECK(body[0]["generatorURL"] == "https://drift.example.org/?service=app&env=stage");
  std::string m = metrics.Serialize();
  CHECK(m.find("drift_alerts_sent_total{result=\"error\"} 1") != std::string::npos);
  CHECK(m.find("drift_alerts_sent_total{result=\"ok\"} 1") != std::string::npos);
  CHECK(m.find("drift_alert_queue_length 0") != std::string::npos);
  d.Stop();
}

TEST_CASE("alert dispatcher: the book's state goes to the store and comes back after a restart") {
  testing::TempDir dir;
  std::atomic<int> posts{0};
  testing::TestHttpServer am([&](const HttpCall&) {
    ++posts;
    return HttpReply(503, "");  // never delivered: the alert stays pending
  });
  AlertingConfig cfg;
  cfg.alertmanager_url = "http://127.0.0.1:" + std::to_string(am.port());
  {
    auto store = Store::Open(dir.file("s.db"));
    REQUIRE(store.ok());
    StoreWriter writer(std::move(*store));
    Executor executor(2);
  Runtime rt(4, 4, executor);
    Metrics metrics;
    AlertDispatcher d(rt, &writer, metrics);
    d.Configure(cfg, ".", "");
    d.Update("app", "conf", {"stage"}, OneAlert());
    REQUIRE(RunUntil(rt, [&] { return posts.load() >= 1; }));
    d.Stop();
    rt.Drain();
    d.WriteRemaining();
  }
  auto store = Store::Open(dir.file("s.db"));
  REQUIRE(store.ok());
  auto records = (*store)->LoadAlerts();
  REQUIRE(records.size() == 1);
  CHECK(records[0].state == "firing");
  CHECK(records[0].attempts == 1);
  CHECK(records[0].next_attempt != "");
  // A restarted daemon's dispatcher loads it.
  StoreWriter writer(std::move(*store));
  Executor executor(2);
  Runtime rt(4, 4, executor);
  Metrics metrics;
  AlertDispatcher d(rt, &writer, metrics);
  d.Load();
  CHECK(d.size() == 1);
  // Without alerting configured nothing is sent.
  d.Send();
  RunUntil(rt, [] { return false; });
  CHECK(posts.load() == 1);
}

}  // namespace
}  // namespace drift
