// The daemon's alerts against a real Alertmanager (Debian's prometheus-alertmanager) on
// 127.0.0.1: delivered with SPEC §7's labels, resolved when the drift goes, and kept in the
// state store while Alertmanager is down, across a restart.
#include <nlohmann/json.hpp>

#include "state/store.h"
#include "tests/support/alertmanager.h"
#include "tests/support/process.h"

namespace drift {
namespace {

using testing::Child;
using testing::FreePort;
using testing::HttpDo;
using testing::ReadFile;
using testing::TempDir;
using testing::WaitFor;

std::string Config(int am_port) {
  return R"(version: 1
environments: [prod, stage]
defaults: {interval: 300ms, timeout: 2s}
state: {path: state.db}
alerting:
  alertmanager: {url: "http://127.0.0.1:)" +
         std::to_string(am_port) + R"(/", timeout: 1s, headers: {X-Scope-OrgID: "${file:tenant}"}}
  resend_interval: 2s
services:
  app:
    owner: team-app
    sources:
      conf: {type: file, path: "{env}.yaml"}
rules:
  - name: pins
    match: "conf.pins.*"
    severity: critical
    runbook: https://runbooks.example.org/pins
)";
}

using testing::Alertmanager;
using Daemon = testing::DaemonProcess;

TEST_CASE("alerting: a real Alertmanager gets the drift, labelled by team, and its resolution") {
  TempDir dir;
  int am_port = FreePort();
  Alertmanager am(dir, am_port);
  dir.write("drift.yaml", Config(am_port));
  dir.write("tenant", "team-a\n");
  dir.write("prod.yaml", "a: 1\nb: 1\npins: {image: v1}\ndb_password: hunter2\n");
  dir.write("stage.yaml", "a: 2\nb: 1\npins: {image: v2}\ndb_password: hunter3\n");
  Daemon d(dir.file("drift.yaml"), dir.file("daemon.log"));

  nlohmann::json alerts;
  bool fired = WaitFor([&] {
    alerts = am.Active();
    return alerts.size() == 2;
  });
  INFO(ReadFile(dir.file("daemon.log")));
  REQUIRE(fired);
  // Alertmanager sorts by fingerprint: find each by rule.
  const nlohmann::json* def = nullptr;
  const nlohmann::json* pins = nullptr;
  for (const auto& a : alerts) (a["labels"]["rule"] == "pins" ? pins : def) = &a;
  REQUIRE(def);
  REQUIRE(pins);
  CHECK((*def)["labels"] == nlohmann::json{{"alertname", "ConfigDrift"}, {"service", "app"},
                                           {"source", "conf"}, {"env", "stage"},
                                           {"rule", "default"}, {"severity", "warning"},
                                           {"team", "team-app"}});
  CHECK((*def)["annotations"]["summary"] == "2 paths drift in app/conf on stage (rule default)");
  std::string desc = (*def)["annotations"]["description"];
  CHECK(desc.find("- conf.a (changed): 1 -> 2\n") != std::string::npos);
  CHECK(desc.find("- conf.db_password (changed): \"hmac:") != std::string::npos);
  CHECK((*def)["annotations"].count("runbook_url") == 0);
  CHECK((*pins)["labels"]["severity"] == "critical");
  CHECK((*pins)["annotations"]["runbook_url"] == "https://runbooks.example.org/pins");
  CHECK((*pins)["annotations"]["description"] == "- conf.pins.image (changed): \"v1\" -> \"v2\"\n");
  CHECK(alerts.dump().find("hunter") == std::string::npos);  // secrets never leave

  // The drift goes: the alert is resolved (no longer active in Alertmanager).
  dir.write("stage.yaml", "a: 2\nb: 1\npins: {image: v1}\ndb_password: hunter3\n");
  CHECK(WaitFor([&] {
    auto now = am.Active();
    return now.size() == 1 && now[0]["labels"]["rule"] == "default";
  }));
  CHECK(d.Metric("drift_alerts_sent_total{result=\"ok\"}") >= 3);
  CHECK(d.Metric("drift_alerts_sent_total{result=\"error\"}") == 0);
  CHECK(d.Metric("drift_alert_queue_length") == 0);
  std::string log = ReadFile(dir.file("daemon.log"));
  CHECK(log.find("hunter") == std::string::npos);
}

TEST_CASE("alerting: Alertmanager down never stops collection, alerts wait in the store") {
  TempDir dir;
  int am_port = FreePort();  // nothing listens here yet
  dir.write("drift.yaml", Config(am_port));
  dir.write("tenant", "team-a\n");
  dir.write("prod.yaml", "a: 1\n");
  dir.write("stage.yaml", "a: 2\n");
  {
    Daemon d(dir.file("drift.yaml"), dir.file("daemon.log"));
    CHECK(WaitFor([&] { return d.Metric("drift_alerts_sent_total{result=\"error\"}") >= 2; }));
    CHECK(d.Metric("drift_alert_queue_length") == 1);
    // Collection goes on: a change is still seen.
    dir.write("stage.yaml", "a: 3\n");
    CHECK(WaitFor([&] {
      auto f = nlohmann::json::parse(HttpDo(d.url("/api/v1/findings")).body);
      return f["findings"].size() == 1 && f["findings"][0]["value"] == 3;
    }));
    d.child->Signal(SIGTERM);
    CHECK(d.child->Wait(std::chrono::seconds(10)) == 0);
  }
  {
    auto store = Store::Open(dir.file("state.db"));
    REQUIRE(store.ok());
    auto saved = (*store)->LoadAlerts();
    REQUIRE(saved.size() == 1);
    CHECK(saved[0].state == "firing");
    CHECK(saved[0].attempts >= 1);
    CHECK(saved[0].last_sent.empty());
    CHECK(saved[0].payload.find("conf.a (changed): 1 -> 3") != std::string::npos);
  }
  // Restarted with its sources unreadable (unknown, so nothing is re-evaluated): the alert
  // from the store is what reaches Alertmanager once it is up.
  std::remove(dir.file("prod.yaml").c_str());
  std::remove(dir.file("stage.yaml").c_str());
  Alertmanager am(dir, am_port);
  Daemon d(dir.file("drift.yaml"), dir.file("daemon.log"));
  nlohmann::json alerts;
  CHECK(WaitFor([&] {
    alerts = am.Active();
    return alerts.size() == 1;
  }));
  INFO(ReadFile(dir.file("daemon.log")));
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["labels"]["env"] == "stage");
  CHECK(alerts[0]["annotations"]["description"] == "- conf.a (changed): 1 -> 3\n");
  CHECK(ReadFile(dir.file("daemon.log")).find("Alertmanager accepts alerts again") ==
        std::string::npos);  // this run never failed to deliver
}

}  // namespace
}  // namespace drift
