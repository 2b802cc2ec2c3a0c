#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "cli/commands.h"
#include "tests/support/example.h"
#include "tests/support/http_server.h"
#include "tests/support/kube_api_server.h"
#include "tests/testing.h"

namespace drift {
namespace {

using testing::ReadFile;
using testing::Run;
using testing::SourceDir;
using testing::TempDir;

std::string StripTimes(std::string s) {
  return std::regex_replace(s, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"),
                            "2026-01-01T00:00:00Z");
}

TEST_CASE("check --format json on the example matches the golden file") {
  TempDir dir;
  std::string envs = dir.path() + "/example/envs";
  testing::TestHttpServer server([&](const testing::HttpCall& c) { return testing::ServeFile(envs, c); });
  std::string cfg = testing::CopyExample(dir, server);
  auto kube = testing::StartExampleClusters(dir);
  auto r = Run({"check", "-c", cfg, "--format", "json"});
  CHECK(r.code == 1);
  CHECK(r.err == "");
  std::string golden = ReadFile(SourceDir() + "/tests/cli/golden/example_check.json");
  CHECK(StripTimes(r.out) == golden);
  if (std::getenv("DRIFT_UPDATE_GOLDEN"))
    std::ofstream(SourceDir() + "/tests/cli/golden/example_check.json") << StripTimes(r.out);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["summary"]["sources"] == 43);  // 19 from files, http and SQL, 24 from Kubernetes
  std::set<std::string> kinds;
  for (auto& f : j["findings"]) kinds.insert(f["kind"].get<std::string>());
  CHECK(kinds == std::set<std::string>{"changed", "missing", "extra", "type", "same", "pattern",
                                       "skew"});
}

const char* kConfig = R"(version: 1
environments: [prod, stage]
services:
  app:
    owner: team-app
    sources:
      conf: {type: file, path: "{env}.yaml"}
rules:
  - name: level
    match: conf.level
    severity: info
  - name: key
    match: conf.key
    severity: critical
)";

TEST_CASE("exit codes: 0 clean, 1 findings at or above --fail-on, 2 config error, 3 unknown") {
  TempDir dir;
  std::string cfg = dir.write("drift.yaml", kConfig);
  dir.write("prod.yaml", "level: 1\nkey: a\n");
  dir.write("stage.yaml", "level: 1\nkey: a\n");
  CHECK(Run({"check", "-c", cfg}).code == 0);

  dir.write("stage.yaml", "level: 2\nkey: a\n");  // an info finding only
  CHECK(Run({"check", "-c", cfg}).code == 0);
  CHECK(Run({"check", "-c", cfg, "--fail-on", "info"}).code == 1);
  CHECK(Run({"check", "-c", cfg, "--fail-on", "critical"}).code == 0);

  dir.write("stage.yaml", "level: 2\nkey: b\n");  // plus a critical one
  CHECK(Run({"check", "-c", cfg}).code == 1);
  CHECK(Run({"check", "-c", cfg, "--fail-on", "critical"}).code == 1);
  CHECK(Run({"check", "-c", cfg, "--fail-on", "never"}).code == 0);

  std::filesystem::remove(dir.file("stage.yaml"));  // unknown, not drift
  auto r = Run({"check", "-c", cfg, "--format", "json"});
  CHECK(r.code == 3);
  CHECK(r.err == "drift: cannot collect service app, source conf, env stage: cannot read " +
                     dir.file("stage.yaml") + ": No such file or directory\n");
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["findings"].empty());
  CHECK(j["errors"][0]["env"] == "stage");
  CHECK(j["summary"]["sources_failed"] == 1);

  dir.write("stage.yaml", "level: [unclosed\n");  // unparseable is unknown too
  r = Run({"check", "-c", cfg});
  CHECK(r.code == 3);
  CHECK(r.err.find(dir.file("stage.yaml") + ":1:8: YAML parse error: this '[' is never closed") != std::string::npos);

  CHECK(Run({"check", "-c", dir.file("missing.yaml")}).code == 2);
  CHECK(Run({"check", "-c", cfg, "--format", "xml"}).code == 2);
  CHECK(Run({"check", "-c", cfg, "--service", "nope"}).code == 2);
  CHECK(Run({"check", "-c", cfg, "--env", "qa"}).code == 2);
  CHECK(Run({"frobnicate"}).code == 2);
}

TEST_CASE("--service, --env and -o") {
  TempDir dir;
  std::string cfg = dir.write("drift.yaml", kConfig);
  dir.write("prod.yaml", "level: 1\nkey: a\n");
  dir.write("stage.yaml", "level: 2\nkey: b\n");
  auto r = Run({"check", "-c", cfg, "--env", "stage", "--service", "app", "-o",
                dir.file("out.json"), "--format", "json"});
  CHECK(r.code == 1);
  CHECK(r.out.empty());
  auto j = nlohmann::json::parse(ReadFile(dir.file("out.json")));
  CHECK(j["findings"].size() == 2);
  CHECK(Run({"check", "-c", cfg, "--env", "prod", "--format", "json"}).code == 0);
}

TEST_CASE("validate: three mistakes print three file:line:col errors and exit 2") {
  TempDir dir;
  std::string cfg = dir.write("drift.yaml", R"(version: 1
environments: [prod, stage]
services:
  app:
    sources:
      conf: {type: flie, path: x.yaml}
rules:
  - name: r
    match: "conf.x"
    expect: {within: lots}
  - name: r
    match: "conf.y"
)");
  auto r = Run({"validate", "-c", cfg});
  CHECK(r.code == 2);
  CHECK(r.err == cfg + ":6:20: unknown source type 'flie' (expected file, http, sql, exec or kubernetes) "
                       "(did you mean 'file'?)\n" +
                     cfg + ":10:22: within must be a non-negative number or percentage (e.g. 5 "
                           "or 10%), got 'lots'\n" +
                     cfg + ":11:11: duplicate rule name 'r'\n" + cfg + ": 3 errors\n");
  auto ok = Run({"validate", "-c", SourceDir() + "/config/example/drift.yaml"});
  CHECK(ok.code == 0);
  CHECK(ok.out.find(": ok — 3 environments (baseline prod), 3 services, 7 sources") !=
        std::string::npos);
}

TEST_CASE("check and validate: a var not defined for an env and an unbalanced { exit 2") {
  TempDir dir;
  std::string cfg = dir.write("drift.yaml", R"(version: 1
environments:
  - {name: prod, vars: {domain: example.org}}
  - stage
services:
  app:
    sources:
      conf: {type: file, path: "{domain}.yaml"}
rules:
  - name: r
    match: "conf.{DEBUG,DJANGO_DEBUG"
)");
  std::string expected =
      cfg + ":8:32: {domain} is not defined for environment 'stage' (add it to that "
            "environment's vars)\n" +
      cfg + ":11:12: invalid selector 'conf.{DEBUG,DJANGO_DEBUG': '{' without a matching '}' "
            "(alternatives are written {a,b} within one key) at column 6\n";
  auto v = Run({"validate", "-c", cfg});
  CHECK(v.code == 2);
  CHECK(v.err == expected + cfg + ": 2 errors\n");
  auto c = Run({"check", "-c", cfg});
  CHECK(c.code == 2);
  CHECK(c.err.starts_with(expected));
}

TEST_CASE("validate warns about secrets it cannot resolve here") {
  TempDir dir;
  std::string cfg = dir.write("drift.yaml", R"(version: 1
environments: [prod]
services:
  app:
    sources:
      conf: {type: file, path: "${env:DRIFT_TEST_UNSET_{ENV}}"}
)");
  auto r = Run({"validate", "-c", cfg});
  CHECK(r.code == 0);
  CHECK(r.err == cfg + ":6:32: warning: environment variable DRIFT_TEST_UNSET_PROD is not set "
                       "here (env prod)\n");

  // The fingerprint key too: validate warns, check cannot run without it.
  dir.write("drift.yaml", R"(version: 1
environments: [prod]
services:
  app:
    sources:
      conf: {type: file, path: conf.yaml}
secrets: {fingerprint_key: "${file:/nonexistent/drift.key}"}
)");
  r = Run({"validate", "-c", cfg});
  CHECK(r.code == 0);
  CHECK(r.err.find(cfg + ":7:28: warning: secrets.fingerprint_key: ") == 0);
  r = Run({"check", "-c", cfg});
  CHECK(r.code == 2);
  CHECK(r.err.find(cfg + ":7:28: secrets.fingerprint_key: ") == 0);
}

TEST_CASE("no output format ever prints a secret") {
  TempDir dir;
  std::string cfg = dir.write("drift.yaml", R"(version: 1
environments: [prod, stage, sandbox]
services:
  app:
    sources:
      conf: {type: file, path: "{env}.yaml"}
      env: {type: file, path: "{env}.env"}
rules:
  - name: shared
    match: "*.**.*PASSWORD*"
    expect: differ
  - name: opaque
    match: conf.blob
    redact: true
)");
  dir.write("prod.yaml", "DB_PASSWORD: s3cr3t-prod\nblob: opaque-prod\napi: {token: tok-prod}\n");
  dir.write("stage.yaml", "DB_PASSWORD: s3cr3t-shared\nblob: opaque-stage\napi: {token: tok-stage}\n");
  dir.write("sandbox.yaml", "DB_PASSWORD: s3cr3t-shared\nblob: opaque-sb\napi: {token: tok-sb}\n"
                            "extra: {secret: only-sb}\n");
  dir.write("prod.env", "API_KEY=envkey-prod\n");
  dir.write("stage.env", "API_KEY=envkey-stage\n");
  dir.write("sandbox.env", "API_KEY=\"unterminated-envkey-sb\n");
  std::string all;
  for (std::string fmt : {"table", "json", "junit", "markdown", "sarif"}) {
    auto r = Run({"check", "-c", cfg, "--format", fmt});
    CHECK(r.code == 1);
    all += r.out + r.err;
  }
  auto w = Run({"check", "-c", cfg, "--suggest-waivers"});
  all += w.out + w.err;
  for (auto secret : {"s3cr3t", "opaque-", "tok-", "only-sb", "envkey"})
    CHECK_MESSAGE(all.find(secret) == std::string::npos, secret);
  CHECK(all.find("hmac:") != std::string::npos);
}

TEST_CASE("other formats: junit, markdown, sarif, suggest-waivers") {
  TempDir dir;
  std::string cfg = dir.write("drift.yaml", kConfig);
  dir.write("prod.yaml", "level: 1\nkey: a\n");
  dir.write("stage.yaml", "level: 2\nkey: b\nnew: x\n");
  auto junit = Run({"check", "-c", cfg, "--format", "junit"});
  CHECK(junit.out.find("<testsuites name=\"drift\" tests=\"3\" failures=\"3\" errors=\"0\">") !=
        std::string::npos);
  CHECK(junit.out.find("<testcase classname=\"app\" name=\"key\">") != std::string::npos);
  auto md = Run({"check", "-c", cfg, "--format", "markdown"});
  CHECK(md.out.starts_with("### drift: 3 findings (1 critical, 1 warning, 1 info)\n"));
  CHECK(md.out.find("| critical | app | stage | `conf.key` | changed | \"a\" | \"b\" | key | "
                    "team-app |") != std::string::npos);
  auto sarif = Run({"check", "-c", cfg, "--format", "sarif"});
  auto s = nlohmann::json::parse(sarif.out);
  CHECK(s["version"] == "2.1.0");
  auto& results = s["runs"][0]["results"];
  REQUIRE(results.size() == 3);
  CHECK(results[0]["ruleId"] == "key");
  CHECK(results[0]["level"] == "error");
  CHECK(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] ==
        dir.file("stage.yaml"));
  CHECK(results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 2);
  auto waivers = Run({"check", "-c", cfg, "--suggest-waivers"});
  CHECK(waivers.code == 1);
  CHECK(waivers.out.find("  - ignore: 'conf.key'\n    services: [app]\n    envs: [stage]\n"
                         "    reason: TODO  # silences rule key\n    ticket: TODO\n    expires: ") !=
        std::string::npos);
}

// SPEC §4: --suggest-waivers, appended to rules:, silences exactly the findings it lists.
TEST_CASE("suggested waivers silence exactly their findings: the example, and keyed list items") {
  auto ids = [](const std::string& json_out) {
    std::set<std::string> out;
    auto j = nlohmann::json::parse(json_out);
    for (const auto& f : j["findings"]) out.insert(f["id"].get<std::string>());
    return out;
  };
  auto findings = [](const std::string& json_out) {
    std::map<std::string, std::string> out;  // id -> service/env/path
    auto j = nlohmann::json::parse(json_out);
    for (const auto& f : j["findings"])
      out[f["id"].get<std::string>()] = f["service"].get<std::string>() + " " +
                                        f["env"].get<std::string>() + " " +
                                        f["path"].get<std::string>();
    return out;
  };
  {
    TempDir dir;
    std::string envs = dir.path() + "/example/envs";
    testing::TestHttpServer server([&](const testing::HttpCall& c) { return testing::ServeFile(envs, c); });
    std::string cfg = testing::CopyExample(dir, server);
    auto kube = testing::StartExampleClusters(dir);
    std::string original = ReadFile(cfg);
    auto before = Run({"check", "-c", cfg, "--format", "json"});
    INFO(before.err);
    auto all = findings(before.out);
    REQUIRE(all.size() > 10);
    // Only lms in stage: those findings go, every other stays.
    auto w = Run({"check", "-c", cfg, "--suggest-waivers", "--service", "lms", "--env", "stage"});
    CHECK(w.code == 1);
    dir.write("example/drift.yaml", original + w.out);
    auto after = Run({"check", "-c", cfg, "--format", "json"});
    CHECK(after.err == "");
    std::set<std::string> expected;
    for (const auto& [id, what] : all)
      if (!what.starts_with("lms stage ")) expected.insert(id);
    CHECK(expected.size() < all.size());
    CHECK(ids(after.out) == expected);
    // All of them: nothing is left.
    dir.write("example/drift.yaml", original);
    auto every = Run({"check", "-c", cfg, "--suggest-waivers"});
    dir.write("example/drift.yaml", original + every.out);
    auto none = Run({"check", "-c", cfg, "--format", "json"});
    INFO(every.out);
    INFO(ids(none.out).size());
    CHECK(none.code == 0);
    CHECK(ids(none.out).empty());
  }
  // Findings inside items keyed by list_key, under a rule judging the whole list.
  TempDir dir;
  std::string cfg = dir.write("drift.yaml", R"(version: 1
environments: [prod, stage]
services:
  lms:
    sources:
      deploy: {type: file, path: "{env}.yaml"}
rules:
  - name: containers
    match: "deploy.containers"
    normalize: [{list_key: name}]
    severity: critical
)");
  dir.write("prod.yaml", "containers:\n- {name: lms, image: 'lms:1', resources: {cpu: 1}}\n"
                         "- {name: worker, image: 'w:1', env: {A: 1}}\n");
  dir.write("stage.yaml", "containers:\n- {name: worker, image: 'w:2', env: {A: 2}}\n"
                          "- {name: lms, image: 'lms:1', resources: {cpu: 4}}\n");
  std::string original = ReadFile(cfg);
  auto before = Run({"check", "-c", cfg, "--format", "json"});
  CHECK(findings(before.out).size() == 3);
  auto w = Run({"check", "-c", cfg, "--suggest-waivers"});
  CHECK(w.out.find("  - ignore: 'deploy.containers[name=lms].resources.cpu'\n") != std::string::npos);
  dir.write("drift.yaml", original + w.out);
  auto after = Run({"check", "-c", cfg, "--format", "json"});
  CHECK(after.code == 0);
  CHECK(findings(after.out).empty());
}

TEST_CASE("diff: exit codes, json and normalizers") {
  TempDir dir;
  std::string a = dir.write("a.yaml", "FEATURES: {ENABLE_X: true, OLD: 1}\nurl: https://lms.prod.io\n");
  std::string b = dir.write("b.json", R"({"FEATURES": {"ENABLE_X": false, "NEW": 2}, "url": "https://lms.stage.io"})");
  auto r = Run({"diff", a, b, "--format", "json"});
  CHECK(r.code == 1);
  CHECK(nlohmann::json::parse(r.out) == nlohmann::json::parse(R"({"differences": [
    {"path": "FEATURES.ENABLE_X", "kind": "changed", "a": true, "b": false},
    {"path": "FEATURES.OLD", "kind": "missing", "a": 1},
    {"path": "FEATURES.NEW", "kind": "extra", "b": 2},
    {"path": "url", "kind": "changed", "a": "https://lms.prod.io", "b": "https://lms.stage.io"}],
    "summary": {"differences": 4}})"));
  auto n = Run({"diff", a, b, "--format", "json", "--normalize", "env_tokens", "--env-a", "prod",
                "--env-b", "stage"});
  CHECK(nlohmann::json::parse(n.out)["summary"]["differences"] == 3);
  CHECK(Run({"diff", a, a}).code == 0);
  CHECK(Run({"diff", a, a}).out == "0 differences\n");
  std::string l1 = dir.write("l1.json", "[1, 2]");
  std::string l2 = dir.write("l2.json", "[1, 3]");
  CHECK(Run({"diff", l1, l2}).out == "~ [1]: 2 → 3\n1 difference\n");
  CHECK(Run({"diff", a, dir.file("nope.yaml")}).code == 2);
  CHECK(Run({"diff", a, b, "--normalize", "bogus"}).code == 2);
  std::string bad = dir.write("bad.json", "{\"a\": }");
  auto e = Run({"diff", a, bad});
  CHECK(e.code == 2);
  CHECK(e.err.starts_with(bad + ":1:7: JSON parse error"));
}

TEST_CASE("check: a progress line while collecting, naming the host the per-host limit holds up") {
  CheckProgress::Snapshot s;
  s.total = 300;
  s.done = 120;
  s.failed = 3;
  s.busiest = {{"api.example.org:443", 170}, {"cfg.example.org:80", 4}};
  CHECK(ProgressLine(s, 4) == "collecting 120/300 sources, 3 failed; waiting on "
                              "api.example.org:443 (170 left, 4 at a time)");
  s.busiest = {{"cfg.example.org:80", 4}};
  CHECK(ProgressLine(s, 4) == "collecting 120/300 sources, 3 failed");
  CHECK(HostOf("https://u:pw@api.example.org:8443/v1/x?y=1") == "api.example.org:8443");
  CHECK(HostOf("/srv/lms.yml") == "");
  CHECK(HostOf("https://api.example.org/v1") == "api.example.org:443");
  CHECK(HostOf("http://[::1]/x") == "[::1]:80");

  // 24 collections behind one connection to a slow host: about 2.4 s, so the line shows.
  testing::TestHttpServer slow([](const testing::HttpCall&) {
    return testing::HttpReply(200, "{\"a\": 1}", "application/json", {}, 100);
  });
  TempDir dir;
  std::string cfg = "version: 1\nenvironments: [prod, stage, sandbox]\n"
                    "defaults: {max_per_host: 1}\nservices:\n";
  for (int i = 0; i < 8; ++i)
    cfg += "  s" + std::to_string(i) + ":\n    owner: t\n    sources:\n      c: {type: http, url: "
           "\"http://127.0.0.1:" + std::to_string(slow.port()) + "/{env}\"}\n";
  dir.write("drift.yaml", cfg);
  setenv("DRIFT_PROGRESS", "always", 1);
  auto r = Run({"check", "-c", dir.file("drift.yaml")});
  auto quiet = Run({"check", "-q", "-c", dir.file("drift.yaml")});
  unsetenv("DRIFT_PROGRESS");
  CHECK(r.code == 0);
  CHECK(r.err.find("\r\033[Kcollecting ") != std::string::npos);
  CHECK(r.err.find(" sources, 0 failed; waiting on 127.0.0.1:" + std::to_string(slow.port()) + " (") !=
        std::string::npos);
  CHECK(r.err.ends_with("\r\033[K"));  // the line is cleared before the report
  CHECK(quiet.err == "");
  // Not a terminal, not asked: nothing.
  CHECK(Run({"check", "-c", dir.file("drift.yaml")}).err == "");
}

TEST_CASE("version, and --version the same") {
  auto r = Run({"version"});
  CHECK(r.code == 0);
  CHECK(r.out.starts_with("drift 0.1.0 (C++20, g++ "));
  CHECK(Run({"version", "-q"}).out == r.out);  // every command takes the logging options
  auto flag = Run({"--version"});
  CHECK(flag.code == 0);
  CHECK(flag.out == r.out);
}

TEST_CASE("every --help ends with examples, and check and diff with the exit codes") {
  for (std::string cmd : {"check", "diff", "validate", "owners", "history", "daemon"}) {
    INFO(cmd);
    auto r = Run({cmd, "--help"});
    CHECK(r.code == 0);
    CHECK(r.out.find("\nExamples:\n  drift " + cmd) != std::string::npos);
    CHECK(r.out.find("--log-level") != std::string::npos);
  }
  auto check = Run({"check", "--help"}).out;
  CHECK(check.ends_with("  3  no such findings, but a source could not be collected (unknown is not "
                        "drift)\n"));
  CHECK(Run({"diff", "--help"}).out.find("Exit codes:\n  0  the files are the same\n") !=
        std::string::npos);
  CHECK(Run({"--help"}).out.find("drift <command> --help") != std::string::npos);
}

}  // namespace
}  // namespace drift
