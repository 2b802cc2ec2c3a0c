#include "outputs/alerts.h"

#include <nlohmann/json.hpp>

#include "core/report.h"
#include "tests/testing.h"

namespace drift {
namespace {

Finding Make(const std::string& env, const std::string& path, const std::string& rule = "default",
             const std::string& owner = "team-app") {
  Finding f;
  f.service = "app";
  f.source = "conf";
  f.env = env;
  f.path = path;
  f.rule = rule;
  f.owner = owner;
  f.kind = FindingKind::kChanged;
  f.baseline_value = 1;
  f.value = 2;
  f.first_seen = "2026-11-27T10:00:00Z";
  return f;
}

constexpr double kT0 = 1'800'000'000;  // 2027-01-15T08:00:00Z

TEST_CASE("alerts: one per (service, source, env, rule), labelled for routing by team") {
  auto a = Make("stage", "conf.b");
  auto b = Make("stage", "conf.a");
  b.first_seen = "2026-11-27T09:00:00Z";
  auto c = Make("sandbox", "conf.a", "pins", "");
  c.severity = Severity::kCritical;
  c.runbook = "https://runbooks.example.org/pins";
  c.description = "Pinned versions must match prod.";
  c.kind = FindingKind::kMissing;
  c.value.reset();
  auto secret = Make("stage", "conf.db_password");
  secret.baseline_value = "hmac:0123456789ab";
  secret.value = "hmac:ba9876543210";
  secret.redacted = true;
  auto alerts = BuildAlerts({a, b, c, secret});
  REQUIRE(alerts.size() == 2);
  const Alert& pins = alerts[0];  // (sandbox, pins) sorts first
  CHECK(pins.labels == std::map<std::string, std::string>{{"alertname", "ConfigDrift"},
                                                          {"service", "app"},
                                                          {"source", "conf"},
                                                          {"env", "sandbox"},
                                                          {"rule", "pins"},
                                                          {"severity", "critical"},
                                                          {"team", "unowned"}});
  CHECK(pins.annotations.at("summary") == "1 path drifts in app/conf on sandbox (rule pins)");
  CHECK(pins.annotations.at("description") ==
        "Pinned versions must match prod.\n\n- conf.a (missing): baseline 1, absent here\n");
  CHECK(pins.annotations.at("runbook_url") == "https://runbooks.example.org/pins");
  const Alert& stage = alerts[1];
  CHECK(stage.labels.at("team") == "team-app");
  CHECK(stage.labels.at("severity") == "warning");
  CHECK(stage.annotations.count("runbook_url") == 0);
  CHECK(stage.annotations.at("summary") == "3 paths drift in app/conf on stage (rule default)");
  CHECK(stage.annotations.at("description") ==
        "- conf.a (changed): 1 -> 2\n- conf.b (changed): 1 -> 2\n"
        "- conf.db_password (changed): \"hmac:0123456789ab\" -> \"hmac:ba9876543210\"\n");
  CHECK(stage.starts_at == ParseTime("2026-11-27T09:00:00Z"));
  CHECK(stage.key() == "app\x1f" "conf\x1f" "stage\x1f" "default");

  std::vector<Finding> many;
  for (int i = 0; i < 25; ++i) many.push_back(Make("stage", "conf.k" + std::to_string(100 + i)));
  auto big = BuildAlerts(many);
  REQUIRE(big.size() == 1);
  const std::string& d = big[0].annotations.at("description");
  CHECK(std::count(d.begin(), d.end(), '\n') == 21);
  CHECK(d.find("- conf.k119 ") != std::string::npos);
  CHECK(d.find("- conf.k120 ") == std::string::npos);
  CHECK(d.find("... and 5 more: drift check --service app --env stage\n") != std::string::npos);
}

TEST_CASE("alert book: send at once, resend every interval, resolve once, back off on failure") {
  AlertBook book(std::chrono::seconds(60));
  auto alerts = BuildAlerts({Make("stage", "conf.a"), Make("sandbox", "conf.a")});
  const std::string stage = alerts[1].key(), sandbox = alerts[0].key();
  auto changed = book.Update("app", "conf", {"prod", "stage", "sandbox"}, alerts, kT0);
  CHECK(changed.size() == 2);
  CHECK(book.queue_length() == 2);
  auto due = book.Due(kT0, 100);
  CHECK(due.size() == 2);

  // The Alertmanager body: firing alerts end 4 resend intervals from now.
  auto body = nlohmann::json::parse(book.Payload(due, kT0));
  REQUIRE(body.size() == 2);
  CHECK(body[0]["labels"]["env"] == "sandbox");
  CHECK(body[0]["startsAt"] == "2026-11-27T10:00:00Z");
  CHECK(body[0]["endsAt"] == "2027-01-15T08:04:00Z");

  // Alertmanager is down: retried after 1 s, 2 s, 4 s.
  book.Delivered(due, false, kT0);
  CHECK(book.Due(kT0 + 0.5, 100).empty());
  CHECK(book.NextDue() == kT0 + 1);
  book.Delivered(book.Due(kT0 + 1, 100), false, kT0 + 1);
  CHECK(book.NextDue() == kT0 + 3);
  book.Delivered(book.Due(kT0 + 3, 100), false, kT0 + 3);
  CHECK(book.NextDue() == kT0 + 7);
  CHECK(book.Find(stage)->attempts == 3);
  book.Delivered(book.Due(kT0 + 7, 100), true, kT0 + 7);
  CHECK(book.queue_length() == 0);
  CHECK(book.Find(stage)->attempts == 0);

  // Unchanged findings: nothing to send until the resend interval passes.
  CHECK(book.Update("app", "conf", {"prod", "stage", "sandbox"}, alerts, kT0 + 30).empty());
  CHECK(book.Due(kT0 + 66, 100).empty());
  CHECK(book.NextDue() == kT0 + 67);
  CHECK(book.Due(kT0 + 67, 100).size() == 2);
  book.Delivered({stage, sandbox}, true, kT0 + 67);

  // sandbox could not be collected: unknown, its alert stays firing. stage's drift is gone:
  // resolved, sent once more with endsAt = the time it went.
  changed = book.Update("app", "conf", {"prod", "stage"}, {}, kT0 + 80);
  CHECK(changed == std::vector<std::string>{stage});
  CHECK_FALSE(book.Find(stage)->firing);
  CHECK(book.Find(sandbox)->firing);
  due = book.Due(kT0 + 80, 100);
  CHECK(due == std::vector<std::string>{stage});
  body = nlohmann::json::parse(book.Payload(due, kT0 + 81));
  CHECK(body[0]["endsAt"] == "2027-01-15T08:01:20Z");
  changed = book.Delivered(due, true, kT0 + 81);
  CHECK(changed == std::vector<std::string>{stage});
  CHECK(book.Find(stage) == nullptr);  // delivered resolved alerts leave the book
  CHECK(book.size() == 1);
}

TEST_CASE("alert book: changes go out at once, new labels resolve the old alert") {
  AlertBook book(std::chrono::seconds(60));
  std::vector<std::string> envs{"prod", "stage"};
  book.Update("app", "conf", envs, BuildAlerts({Make("stage", "conf.a")}), kT0);
  auto key = BuildAlerts({Make("stage", "conf.a")})[0].key();
  book.Delivered(book.Due(kT0, 100), true, kT0);

  // One more path: the description changed, so it is sent now, not at the next resend.
  book.Update("app", "conf", envs, BuildAlerts({Make("stage", "conf.a"), Make("stage", "conf.b")}),
              kT0 + 5);
  CHECK(book.Due(kT0 + 5, 100) == std::vector<std::string>{key});
  book.Delivered({key}, true, kT0 + 5);

  // The owner changed (team label): Alertmanager gets the new alert and the old one resolved.
  book.Update("app", "conf", envs, BuildAlerts({Make("stage", "conf.a", "default", "team-new")}),
              kT0 + 10);
  auto body = nlohmann::json::parse(book.Payload(book.Due(kT0 + 10, 100), kT0 + 10));
  REQUIRE(body.size() == 2);
  CHECK(body[0]["labels"]["team"] == "team-new");
  CHECK(body[1]["labels"]["team"] == "team-app");
  CHECK(body[1]["endsAt"] == "2027-01-15T08:00:10Z");
  book.Delivered({key}, true, kT0 + 10);
  CHECK(nlohmann::json::parse(book.Payload({key}, kT0 + 11)).size() == 1);

  // A drift that comes and goes before any delivery never reaches Alertmanager.
  book.Update("app", "other", envs, BuildAlerts({[] {
                auto f = Make("stage", "other.x");
                f.source = "other";
                return f;
              }()}),
              kT0 + 20);
  CHECK(book.queue_length() == 1);
  book.Update("app", "other", envs, {}, kT0 + 21);
  CHECK(book.queue_length() == 0);
  CHECK(book.size() == 1);

  // A reload that drops the source resolves its alerts.
  CHECK(book.Retain({{"app", "elsewhere"}}, kT0 + 30) == std::vector<std::string>{key});
  CHECK_FALSE(book.Find(key)->firing);
}

TEST_CASE("alert entries survive the state store as JSON") {
  AlertBook book(std::chrono::seconds(60));
  book.Update("app", "conf", {"stage"}, BuildAlerts({Make("stage", "conf.a")}), kT0);
  auto key = BuildAlerts({Make("stage", "conf.a")})[0].key();
  book.Delivered({key}, false, kT0);
  const AlertEntry& e = *book.Find(key);
  auto back = AlertEntry::Decode(e.Encode());
  REQUIRE(back);
  CHECK(back->alert == e.alert);
  CHECK(back->attempts == 1);
  CHECK(back->next_attempt == kT0 + 1);
  CHECK(back->pending);
  CHECK_FALSE(AlertEntry::Decode("{\"labels\": 3}"));
  CHECK_FALSE(AlertEntry::Decode("not json"));

  AlertBook restarted(std::chrono::seconds(60));
  restarted.Load({*back});
  CHECK(restarted.queue_length() == 1);
  CHECK(restarted.Due(kT0 + 1, 100) == std::vector<std::string>{key});
}

}  // namespace
}  // namespace drift
