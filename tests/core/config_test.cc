#include "core/config.h"
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
        std::vector<std::string>{"drift.yaml:12:11: duplicate rule name 'r1'"});
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
                                 "http, sql or exec) (did you mean 'file'?)"});
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
                                 "{env}, {ENV}, {service} or {source})"});
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
