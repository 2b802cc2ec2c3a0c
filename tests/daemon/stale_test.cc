// SPEC §4 "Unknown is neither drift nor a fix", in the daemon: when a source fails, what it
// touched keeps its last known state (stale, still alerting, same first_seen) until a
// successful collection decides.
#include <nlohmann/json.hpp>

#include <atomic>

#include "tests/support/alertmanager.h"
#include "tests/support/http_server.h"
#include "tests/support/process.h"

namespace drift {
namespace {

using testing::FreePort;
using testing::HttpDo;
using testing::ReadFile;
using testing::TempDir;
using testing::WaitFor;

TEST_CASE("daemon: a failed source leaves its findings stale, alerting, with first_seen kept") {
  TempDir dir;
  std::atomic<bool> stage_down{false};
  testing::TestHttpServer api([&](const testing::HttpCall& c) -> testing::HttpReply {
    if (c.target == "/stage" && stage_down) return {503, "down", "text/plain"};
    if (c.target == "/prod") return {200, R"({"SECRET_KEY": "k-prod", "workers": 4})"};
    return {200, R"({"SECRET_KEY": "k-shared", "workers": 2})"};  // stage and sandbox
  });
  int am_port = FreePort();
  testing::Alertmanager am(dir, am_port);
  dir.write("drift.yaml", R"(version: 1
environments: [prod, stage, sandbox]
defaults: {interval: 300ms, timeout: 2s}
state: {path: state.db}
alerting:
  alertmanager: {url: "http://127.0.0.1:)" + std::to_string(am_port) + R"(/", timeout: 1s}
  resend_interval: 1s
services:
  app:
    owner: team-app
    sources:
      conf: {type: http, url: "http://127.0.0.1:)" + std::to_string(api.port()) +
                                R"(/{env}", retries: 0}
rules:
  - name: secrets-never-shared
    match: conf.SECRET_KEY
    expect: differ
    severity: critical
)");
  auto dp = std::make_unique<testing::DaemonProcess>(dir.file("drift.yaml"), dir.file("daemon.log"));
  auto findings = [&] {
    return nlohmann::json::parse(HttpDo(dp->url("/api/v1/findings")).body)["findings"];
  };
  auto before = findings();
  // workers changed in stage and sandbox; SECRET_KEY the same in sandbox as in stage.
  REQUIRE(before.size() == 3);
  std::string same_first_seen;
  for (const auto& f : before) {
    CHECK(f.count("stale") == 0);
    if (f["kind"] == "same") same_first_seen = f["first_seen"];
  }
  REQUIRE(WaitFor([&] { return am.Active().size() == 3; }));
  std::string starts_at;
  for (const auto& a : am.Active())
    if (a["labels"]["rule"] == "secrets-never-shared") starts_at = a["startsAt"];

  stage_down = true;
  REQUIRE(WaitFor([&] {
    return dp->Metric("drift_source_up{env=\"stage\",owner=\"team-app\",service=\"app\",source=\"conf\"}") == 0;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // several rounds down
  auto during = findings();
  INFO(during.dump(1));
  // Stage's own finding and sandbox's pair with stage are kept, stale; sandbox's own
  // `workers` finding (against prod, both up) is fresh.
  REQUIRE(during.size() == 3);
  int stale = 0;
  for (const auto& f : during) {
    bool touched = f["env"] == "stage" || f["kind"] == "same";
    CHECK(f.value("stale", false) == touched);
    if (!touched) continue;
    ++stale;
    CHECK(f["unknown_since"].get<std::string>().size() == 20);
    if (f["kind"] == "same") CHECK(f["first_seen"] == same_first_seen);
  }
  CHECK(stale == 2);
  // Their series stay; the alerts keep firing with the same start.
  auto& d = *dp;
  CHECK(d.Metric("drift_findings{env=\"sandbox\",owner=\"team-app\",rule=\"secrets-never-shared\","
                 "service=\"app\",severity=\"critical\",source=\"conf\"}") == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past a resend
  auto active = am.Active();
  CHECK(active.size() == 3);
  for (const auto& a : active)
    if (a["labels"]["rule"] == "secrets-never-shared") CHECK(a["startsAt"] == starts_at);
  // The page shows the stale findings next to the down source.
  std::string page = HttpDo(d.url("/")).body;
  CHECK(page.find("<span class=\"mark stale\"") != std::string::npos);
  CHECK(page.find("▼ down</span>") != std::string::npos);
  std::string view = HttpDo(d.url("/?service=app&env=stage")).body;
  CHECK(view.find("stale since") != std::string::npos);

  // Restarted while stage is still down: the store gives the stale findings back.
  dp->child->Signal(SIGTERM);
  CHECK(dp->child->Wait(std::chrono::seconds(10)) == 0);
  dp = std::make_unique<testing::DaemonProcess>(dir.file("drift.yaml"), dir.file("daemon.log"));
  auto after = findings();
  INFO(after.dump(1));
  REQUIRE(after.size() == 3);
  for (const auto& f : after) {
    bool touched = f["env"] == "stage" || f["kind"] == "same";
    CHECK(f.value("stale", false) == touched);
    if (f["kind"] == "same") {
      CHECK(f["first_seen"] == same_first_seen);
      CHECK(f["with_env"] == "stage");
      CHECK(f["redacted"] == true);  // SECRET_KEY: a secret-named key
    }
  }

  // Recovery: the fresh evaluation decides; first_seen is the original one.
  stage_down = false;
  REQUIRE(WaitFor([&] {
    auto f = findings();
    if (f.size() != 3) return false;
    for (const auto& x : f)
      if (x.count("stale")) return false;
    return true;
  }));
  for (const auto& f : findings())
    if (f["kind"] == "same") CHECK(f["first_seen"] == same_first_seen);
  for (const auto& a : am.Active())
    if (a["labels"]["rule"] == "secrets-never-shared") CHECK(a["startsAt"] == starts_at);
}

}  // namespace
}  // namespace drift
