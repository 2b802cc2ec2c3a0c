#include "core/config.h"
#include "core/interpolate.h"
#include "pipeline/program.h"
#include "tests/testing.h"

namespace drift {
namespace {

using testing::TempDir;

const char* kValid = R"(version: 1
environments: [prod, {name: stage, aliases: [stg]}, sandbox]
services:
  lms:
    owner: team-learning
    sources:
      settings: {type: file, path: "{env}/lms.yml"}
rules:
  - name: r1
    match: "settings.**"
    expect: equal
)";

// Every error of a config, as `file:line:col: message` lines.
std::vector<std::string> Errors(const std::string& yaml) {
  TempDir dir;
  std::string path = dir.write("drift.yaml", yaml);
  Diagnostics diags;
  LoadOptions lo;
  lo.create_key = false;
  auto p = LoadProgram(path, diags, lo);
  std::vector<std::string> out;
  for (const auto& d : diags.Sorted()) {
    std::string s = d.ToString();
    out.push_back(s.substr(s.find("drift.yaml")));
  }
  if (out.empty()) CHECK(p != nullptr);
  else CHECK(p == nullptr);
  return out;
}

std::string With(const std::string& from, const std::string& to) {
  std::string s = kValid;
  auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

TEST_CASE("a valid config loads with its defaults") {
  TempDir dir;
  Diagnostics diags;
  auto c = LoadConfig(dir.write("drift.yaml", kValid), diags);
  REQUIRE(c);
  CHECK_FALSE(diags.has_errors());
  CHECK(c->baseline == "prod");
  CHECK(c->environments[1].aliases == std::vector<std::string>{"stg"});
  CHECK(c->defaults.interval == std::chrono::minutes(5));
  CHECK(c->defaults.max_concurrency == 32);
  CHECK(c->listen == "127.0.0.1:9464");
  CHECK(c->services[0].envs == std::vector<std::string>{"prod", "stage", "sandbox"});
  CHECK(Errors(kValid).empty());
}

TEST_CASE("unknown keys, with did-you-mean, at the key's position") {
  CHECK(Errors(With("services:", "servces: {}\nservices:")) ==
        std::vector<std::string>{
            "drift.yaml:3:1: unknown key 'servces' in drift.yaml (did you mean 'services'?)"});
  CHECK(Errors(With("    owner:", "    ownr: x\n    owner:")) ==
        std::vector<std::string>{
            "drift.yaml:5:5: unknown key 'ownr' in service 'lms' (did you mean 'owner'?)"});
  CHECK(Errors(With("path: \"{env}/lms.yml\"", "path: \"{env}/lms.yml\", paht: x")) ==
        std::vector<std::string>{"drift.yaml:7:53: unknown key 'paht' in file source "
                                 "'settings' (did you mean 'path'?)"});
}

TEST_CASE("wrong types") {
  CHECK(Errors(With("version: 1\n", "version: 1\ndefaults: {interval: soon, max_concurrency: x}\n")) ==
        std::vector<std::string>{
            "drift.yaml:2:22: defaults.interval: invalid duration 'soon' (expected e.g. 30s, 5m, 1h)",
            "drift.yaml:2:45: defaults.max_concurrency must be an integer"});
  CHECK(Errors(With("environments: [prod, {name: stage, aliases: [stg]}, sandbox]",
                    "environments: prod")) ==
        std::vector<std::string>{"drift.yaml:2:15: environments must be a non-empty list"});
}

TEST_CASE("unknown env or service names in rules and services") {
  CHECK(Errors(With("    expect: equal", "    expect: equal\n    envs: [prod, stagin]\n    services: [lsm]")) ==
        std::vector<std::string>{
            "drift.yaml:12:18: unknown environment 'stagin' (did you mean 'stage'?)",
            "drift.yaml:13:16: unknown service 'lsm' (did you mean 'lms'?)"});
}

TEST_CASE("duplicate names") {
  CHECK(Errors(With("sandbox]", "sandbox, prod]")) ==
        std::vector<std::string>{"drift.yaml:2:62: duplicate environment 'prod'"});
  CHECK(Errors(std::string(kValid) + "  - name: r1\n    match: x\n") ==
        std::vector<std::string>{"drift.yaml:12:11: duplicate rule name 'r1'",
                                 "drift.yaml:13:12: warning: 'x' can never apply: 'x' is no "
                                 "source of any service"});
}

TEST_CASE("bad selectors, regexes, types, expectations and normalizers") {
  CHECK(Errors(With("\"settings.**\"", "\"settings..x\"")) ==
        std::vector<std::string>{
            "drift.yaml:10:12: invalid selector 'settings..x': unexpected character '.' (quote "
            "such keys as [\"...\"]) at column 10"});
  CHECK(Errors(With("expect: equal", "expect: {matches: \"[a-\"}")) ==
        std::vector<std::string>{
            "drift.yaml:11:23: invalid regex '[a-': missing ]: [a- (RE2 syntax, as in Prometheus: "
            "no backreferences or lookaround)"});
  CHECK(Errors(With("type: file", "type: fiel")) ==
        std::vector<std::string>{"drift.yaml:7:24: unknown source type 'fiel' (expected file, "
                                 "http, sql, exec or kubernetes) (did you mean 'file'?)"});
  CHECK(Errors(With("expect: equal", "expect: equals")) ==
        std::vector<std::string>{
            "drift.yaml:11:13: unknown expectation 'equals' (did you mean 'equal'?)"});
  CHECK(Errors(With("expect: equal", "expect: equal\n    normalize: [env_token]")) ==
        std::vector<std::string>{
            "drift.yaml:12:17: unknown normalizer 'env_token' (did you mean 'env_tokens'?)"});
}

TEST_CASE("interpolation syntax") {
  CHECK(Errors(With("\"{env}/lms.yml\"", "\"{enviro}/lms.yml\"")) ==
        std::vector<std::string>{"drift.yaml:7:36: unknown placeholder '{enviro}' (expected "
                                 "{env}, {ENV}, {service}, {source} or a var from an "
                                 "environment's vars:)"});
  CHECK(Errors(With("\"{env}/lms.yml\"", "\"${vault:x}/lms.yml\"")) ==
        std::vector<std::string>{"drift.yaml:7:36: unknown interpolation '${vault:x}' (expected "
                                 "${env:NAME} or ${file:PATH})"});
}

TEST_CASE("three mistakes give three errors") {
  auto errs = Errors(R"(version: 1
environments: [prod, stage]
services:
  lms:
    sources:
      settings: {type: file, path: x.yml, interval: 5 minutes}
rules:
  - name: r
    match: "settings.x"
    envs: [qa]
    severity: urgent
)");
  CHECK(errs == std::vector<std::string>{
                    "drift.yaml:6:53: interval: invalid duration '5 minutes' (units: ms, s, m, "
                    "h, d; e.g. 30s, 5m, 1h)",
                    "drift.yaml:10:12: unknown environment 'qa'",
                    "drift.yaml:11:15: unknown severity 'urgent' (expected info, warning or "
                    "critical)"});
}

TEST_CASE("the config file itself is unreadable or not YAML") {
  Diagnostics diags;
  CHECK_FALSE(LoadConfig("/nonexistent/drift.yaml", diags));
  CHECK(diags.Sorted()[0].ToString() ==
        "/nonexistent/drift.yaml: cannot read config file: No such file or directory");
  CHECK(Errors("version: 1\nservices: [a\n") ==
        std::vector<std::string>{"drift.yaml:3:1: YAML parse error: end of sequence flow not found"});
}

TEST_CASE("overrides name known envs and sources and cannot change the type") {
  CHECK(Errors(With("rules:", "    overrides:\n      qa: {}\n      sandbox: {setings: {path: y}, "
                              "settings: {type: http}}\nrules:")) ==
        std::vector<std::string>{
            "drift.yaml:9:7: unknown environment 'qa' in overrides",
            "drift.yaml:10:17: unknown source 'setings' in overrides of service 'lms' (did you "
            "mean 'settings'?)",
            "drift.yaml:10:54: an override cannot change a source's type"});
}

}  // namespace
}  // namespace drift

namespace drift {
namespace {

// SPEC §2: per-env vars, {NAME} in sources; bad input is a positioned error.
TEST_CASE("environment vars: {NAME} in sources, positioned errors for misuse") {
  const std::string envs =
      "environments:\n"
      "  - {name: prod, vars: {domain: example.org, account: \"111111111111\"}}\n"
      "  - {name: stage, vars: {domain: stage.example.org, account: \"222222222222\"}}\n"
      "  - sandbox\n";
  auto cfg = [&](const std::string& environments, const std::string& source,
                 const std::string& service_extra = "") {
    return "version: 1\n" + environments +
           "services:\n  lms:\n" + service_extra + "    sources:\n      settings: " + source + "\n";
  };
  TempDir dir;
  Diagnostics diags;
  auto c = LoadConfig(dir.write("drift.yaml", cfg(envs, "{type: http, url: \"https://courses.{domain}/{account}\"}",
                                                  "    envs: [prod, stage]\n")),
                      diags);
  REQUIRE(c);
  CHECK_FALSE(diags.has_errors());
  CHECK(c->environments[0].vars ==
        std::vector<std::pair<std::string, std::string>>{{"domain", "example.org"},
                                                         {"account", "111111111111"}});
  CHECK(ExpandPlaceholders("https://courses.{domain}/{account}/{env}",
                           Placeholders{"stage", "lms", "settings", &c->env_vars("stage")}) ==
        "https://courses.stage.example.org/222222222222/stage");
  // sandbox has no vars: a source of a service running there may not use one.
  CHECK(Errors(cfg(envs, "{type: file, path: \"{domain}.yml\"}")) ==
        std::vector<std::string>{"drift.yaml:9:36: {domain} is not defined for environment "
                                 "'sandbox' (add it to that environment's vars)"});
  CHECK(Errors(cfg(envs, "{type: file, path: \"{domian}.yml\"}")) ==
        std::vector<std::string>{"drift.yaml:9:36: unknown placeholder '{domian}' (expected "
                                 "{env}, {ENV}, {service}, {source}, or a var: {domain}, "
                                 "{account})"});
  CHECK(Errors(cfg("environments:\n  - {name: prod, vars: {env: x, service: y}}\n",
                   "{type: file, path: a.yml}")) ==
        std::vector<std::string>{
            "drift.yaml:3:25: var 'env' is reserved: {env}, {ENV}, {service} and {source} are "
            "built in",
            "drift.yaml:3:33: var 'service' is reserved: {env}, {ENV}, {service} and {source} "
            "are built in"});
  CHECK(Errors(cfg("environments:\n  - {name: prod, vars: {my-host: x, ok: [1]}}\n",
                   "{type: file, path: a.yml}")) ==
        std::vector<std::string>{
            "drift.yaml:3:25: invalid var name 'my-host' (a letter or _, then letters, digits or "
            "_; used as {my-host})",
            "drift.yaml:3:41: var 'ok' must be a string, number or boolean"});
}

// SPEC §2: x- keys anywhere, anchors, aliases and merge keys in drift.yaml.
TEST_CASE("drift.yaml: x- keys are ignored, anchors and merge keys work as in snapshots") {
  TempDir dir;
  Diagnostics diags;
  auto c = LoadConfig(dir.write("drift.yaml", R"(version: 1
x-settings: &settings {type: file, path: "{env}/lms.yml", x-note: shared}
x-service: &service
  owner: team-a
  sources: {settings: *settings}
environments: [prod, stage]
services:
  x-template: {sources: {}}
  lms: {<<: *service, x-owner-note: from the template}
  studio:
    <<: [{owner: team-b}, *service]
    sources: {settings: *settings, x-disabled: {type: nosuch}}
rules:
  - {name: r, match: "settings.**", x-why: readable}
)"),
                      diags);
  REQUIRE(c);
  for (const auto& d : diags.Sorted()) INFO(d.ToString());
  CHECK_FALSE(diags.has_errors());
  REQUIRE(c->services.size() == 2);
  CHECK(c->services[0].name == "lms");
  CHECK(c->services[0].owner == "team-a");
  CHECK(c->services[1].owner == "team-b");  // the first merged map wins over the later ones
  REQUIRE(c->services[1].sources.size() == 1);
  CHECK(c->services[1].sources[0].type == "file");
  // An x- key inside a source's own data (headers) is data: its template is checked.
  CHECK(Errors(With("settings: {type: file, path: \"{env}/lms.yml\"}",
                    "settings: {type: http, url: \"http://h/{env}\", headers: {x-tenant: \"{tenat}\"}}")) ==
        std::vector<std::string>{"drift.yaml:7:73: unknown placeholder '{tenat}' (expected {env}, "
                                 "{ENV}, {service}, {source} or a var from an environment's vars:)"});
  // Aliases of aliases ("billion laughs") stop at a bound instead of hanging.
  std::string bomb = "version: 1\nx-a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i)
    bomb += "x-a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) +
            ", *a" + std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" +
            std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" +
            std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" +
            std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" +
            std::to_string(i - 1) + "]\n";
  bomb += "environments: [prod]\nservices: {}\n";
  auto bombed = Errors(bomb);
  REQUIRE(bombed.size() == 1);
  CHECK(bombed[0].ends_with("drift.yaml expands to more than 1,000,000 nodes (aliases of aliases?)"));
  // A merge key whose value is not a map is a positioned error.
  CHECK(Errors(With("    owner: team-learning\n", "    <<: [1]\n")) ==
        std::vector<std::string>{"drift.yaml:5:10: a merge key (<<) takes a map or a list of maps"});
}

}  // namespace
}  // namespace drift

namespace drift {
namespace {

// SPEC §2: warnings (exit 0) for rules that can never apply.
TEST_CASE("validation warns about rules that can never apply") {
  TempDir dir;
  std::string path = dir.write("drift.yaml", R"(version: 1
environments: [prod, stage]
services:
  lms:
    sources:
      settings: {type: file, path: "{env}/lms.yml"}
  studio:
    sources:
      deploy: {type: file, path: "{env}/studio.yml"}
rules:
  - name: typo
    match: "setings.DEBUG"
  - name: wrong-service
    match: "deploy.image"
    services: [lms]
  - name: first
    match: "settings.FEATURES.*"
  - name: second
    match: "settings.FEATURES.*"
    severity: critical
  - name: narrower-scope
    match: "settings.FEATURES.*"
    envs: [stage]
    severity: info
  - ignore: "settings.CACHES"
  - name: inside-ignored
    match: "settings.CACHES.default.TIMEOUT"
  - ignore: "settings.TMP"
    expires: 2099-01-01
  - name: waiver-expires-so-fine
    match: "settings.TMP.x"
  - name: glob-ok
    match: "{settings,deploy}.x"
)");
  Diagnostics diags;
  LoadOptions lo;
  lo.create_key = false;
  CHECK(LoadProgram(path, diags, lo) != nullptr);  // warnings only
  std::vector<std::string> warnings;
  for (const auto& d : diags.Sorted()) {
    std::string text = d.ToString();
    warnings.push_back(text.substr(text.find("drift.yaml")));
  }
  CHECK(warnings ==
        std::vector<std::string>{
            "drift.yaml:12:12: warning: 'setings.DEBUG' can never apply: 'setings' is no source "
            "of any service (did you mean 'settings'?)",
            "drift.yaml:14:12: warning: 'deploy.image' can never apply: 'deploy' is no source of "
            "services lms",
            "drift.yaml:18:5: warning: rule 'second' never judges anything: rule 'first' at line "
            "16 has the same selector and scope and comes first",
            "drift.yaml:21:5: warning: rule 'narrower-scope' never judges anything: rule "
            "'first' at line 16 has the same selector and scope and comes first",
            "drift.yaml:26:5: warning: rule 'inside-ignored' never judges anything: the ignore "
            "'settings.CACHES' at line 25 skips every node it matches"});
}

}  // namespace
}  // namespace drift

