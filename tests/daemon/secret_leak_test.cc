// SPEC §4 Secrets, end to end: distinctive secrets planted in every kind of source and place
// a secret can hide are looked for in every channel drift writes to. Every secret below
// holds "ZZLEAK"; nothing else does.
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>

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

constexpr const char* kNeedle = "ZZLEAK";

std::string Conf(const std::string& env) {
  return "db_password: ZZLEAK-pw-" + env + "\n"                                   // secret key
         "internal_note: ZZLEAK-note-" + env + "\n"                               // redact: true
         "cache_url: redis://:ZZLEAK-url-" + env + "@cache." + env + ":6379/1\n"  // URL password
         "hook: https://hooks.example.org/x?api_key=ZZLEAK-q-" + env + "&team=a\n"
         "tls_key: \"-----BEGIN PRIVATE KEY-----\\nZZLEAK-pem-" + env +
         "\\n-----END PRIVATE KEY-----\\n\"\n"                                     // PEM key
         "credentials:\n  - {name: ZZLEAK-name-" + env + ", scope: read}\n"       // list_key name
         "workers: " + (env == "prod" ? "4" : "2") + "\n";
}

// "ZZLEAK-b64-<env>" base64-encoded, for a decode: base64 source.
std::string B64(const std::string& env) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string in = "ZZLEAK-b64-" + env, out;
  int val = 0, bits = -6;
  for (unsigned char c : in) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out += t[(val >> bits) & 0x3F];
      bits -= 6;
    }
  }
  if (bits > -6) out += t[((val << 8) >> (bits + 8)) & 0x3F];
  while (out.size() % 4) out += '=';
  return out;
}

void NoLeak(const std::string& channel, const std::string& text) {
  INFO(channel << ":\n" << text.substr(0, 4000));
  CHECK_MESSAGE(text.find(kNeedle) == std::string::npos, channel);
}

TEST_CASE("secrets: planted secrets reach no output, log, API, metric, alert or store") {
  TempDir dir;
  setenv("DRIFT_TEST_LEAK_TOKEN", "ZZLEAK-env-token", 1);
  std::mutex mu;
  std::string webhook_bodies;
  testing::TestHttpServer api([&](const testing::HttpCall& c) -> testing::HttpReply {
    if (c.target == "/hook") {
      std::lock_guard<std::mutex> lock(mu);
      webhook_bodies += "HOOK(" + std::to_string(c.body.size()) + ")" + c.body + "\n";
      return {200, "{}"};
    }
    if (c.target.starts_with("/b64/")) {
      std::string env = c.target.substr(5);
      return {200, "{\"SIGNING\": \"" + B64(env) + "\"}"};
    }
    if (c.target.starts_with("/auth")) return {401, "no"};  // the token goes out, errors come back
    return {404, ""};
  });
  int am_port = FreePort();
  std::string am_config = ("route: {receiver: hook, group_by: [team], group_wait: 0s, group_interval: 1s,"
                      " repeat_interval: 1h}\nreceivers:\n  - name: hook\n    webhook_configs:\n"
                      "      - url: http://127.0.0.1:" + std::to_string(api.port()) + "/hook\n");
  testing::Alertmanager am(dir, am_port, am_config);
  for (std::string env : {"prod", "stage"}) dir.write(env + ".yaml", Conf(env));
  std::string port = std::to_string(api.port());
  dir.write("drift.yaml", R"(version: 1
environments: [prod, stage]
defaults: {interval: 500ms, timeout: 2s}
state: {path: state.db}
alerting:
  alertmanager: {url: "http://127.0.0.1:)" + std::to_string(am_port) + R"(/"}
  resend_interval: 1s
services:
  app:
    owner: team-app
    sources:
      conf: {type: file, path: "{env}.yaml"}
      signing: {type: http, url: "http://127.0.0.1:)" + port + R"(/b64/{env}", decode: base64}
      literal: {type: http, url: "http://bob:ZZLEAK-cfg@127.0.0.1:1/x?token=ZZLEAK-cfgq", retries: 0}
      authed:
        type: http
        url: "http://127.0.0.1:)" + port + R"(/auth/{env}?api_key=${env:DRIFT_TEST_LEAK_TOKEN}"
        headers: {Authorization: "Bearer ${env:DRIFT_TEST_LEAK_TOKEN}"}
        retries: 0
rules:
  - name: notes
    match: conf.internal_note
    redact: true
  - name: creds
    match: conf.credentials
    normalize: [{list_key: name}]
)");
  std::string cfg = dir.file("drift.yaml");
  dir.write("fingerprint.key", "0123456789abcdef0123456789abcdef");

  // The CLI: every format, waivers, -o, diff, history.
  for (std::string format : {"table", "json", "junit", "markdown", "sarif"}) {
    auto r = testing::Run({"check", "-c", cfg, "--format", format});
    CHECK(r.code == 1);
    NoLeak("check --format " + format, r.out + r.err);
  }
  auto waivers = testing::Run({"check", "-c", cfg, "--suggest-waivers", "-o", dir.file("report.txt")});
  NoLeak("check --suggest-waivers", waivers.out + waivers.err + ReadFile(dir.file("report.txt")));
  // The findings are all there, redacted.
  auto json = nlohmann::json::parse(testing::Run({"check", "-c", cfg, "--format", "json"}).out);
  std::set<std::string> paths;
  for (const auto& f : json["findings"]) {
    paths.insert(f["path"].get<std::string>());
    if (f["source"] == "conf" && f["path"] != "conf.workers") CHECK(f["redacted"] == true);
  }
  CHECK(paths.count("conf.db_password") == 1);
  CHECK(paths.count("conf.internal_note") == 1);
  CHECK(paths.count("conf.cache_url") == 1);
  CHECK(paths.count("conf.hook") == 1);
  CHECK(paths.count("conf.tls_key") == 1);
  CHECK(paths.count("signing.SIGNING") == 1);
  CHECK(json["errors"].size() == 4);  // literal and authed in both envs: errors are there too
  // `drift diff` reads no drift.yaml, so no `redact: true` rule: every other secret is hidden.
  for (std::string env : {"prod", "stage"}) {
    std::string text = Conf(env);
    text.replace(text.find("ZZLEAK-note"), 6, "public");
    dir.write("diff-" + env + ".yaml", text);
  }
  for (std::string format : {"table", "json"}) {
    auto d = testing::Run(
        {"diff", dir.file("diff-prod.yaml"), dir.file("diff-stage.yaml"), "--format", format});
    CHECK(d.code == 1);
    NoLeak("diff --format " + format, d.out + d.err);
  }
  std::string finding_id;
  for (const auto& f : json["findings"])
    if (f["path"] == "conf.internal_note") finding_id = f["id"];
  for (std::string path : {"conf.internal_note", "conf.db_password", "conf.cache_url", "conf.tls_key"}) {
    auto h = testing::Run({"history", "-c", cfg, "--service", "app", "--path", path});
    NoLeak("history --path " + path, h.out + h.err);
    auto hj = testing::Run({"history", "-c", cfg, "--service", "app", "--path", path, "--format", "json"});
    NoLeak("history --format json --path " + path, hj.out + hj.err);
  }
  NoLeak("history --finding", testing::Run({"history", "-c", cfg, "--finding", finding_id}).out);

  // The daemon: debug logs in both formats, every endpoint, metrics, alerts, the store.
  for (std::string log_format : {"text", "json"}) {
    std::string log = dir.file("daemon-" + log_format + ".log");
    testing::DaemonProcess d(cfg, log, {"--log-level", "debug", "--log-format", log_format});
    for (std::string p : std::vector<std::string>{"/api/v1/findings", "/api/v1/sources", "/", "/metrics",
                          "/api/v1/history?finding=" + finding_id,
                          "/api/v1/history?service=app&source=conf&env=stage&path=conf.internal_note",
                          "/api/v1/findings?env=stage&severity=warning"})
      NoLeak("GET " + p, HttpDo(d.url(p)).body);
    bool hooked = WaitFor([&] {
      std::lock_guard<std::mutex> lock(mu);
      return webhook_bodies.find("conf.db_password") != std::string::npos;
    });
    INFO(ReadFile(dir.file("alertmanager.log")));
    INFO(am.Active().dump());
    INFO(webhook_bodies);
    CHECK(hooked);
    d.child->Signal(SIGTERM);
    CHECK(d.child->Wait(std::chrono::seconds(10)) == 0);
    NoLeak("daemon log (" + log_format + ")", ReadFile(log));
    CHECK(ReadFile(log).find("collected service app, source conf") != std::string::npos);
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    NoLeak("Alertmanager webhook", webhook_bodies);
  }
  std::string store_bytes;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    if (e.path().filename().string().starts_with("state.db")) store_bytes += ReadFile(e.path());
  CHECK(store_bytes.size() > 0);
  NoLeak("state store bytes", store_bytes);
  unsetenv("DRIFT_TEST_LEAK_TOKEN");
}

}  // namespace
}  // namespace drift
