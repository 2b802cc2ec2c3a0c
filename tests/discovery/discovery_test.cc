// Discovery (SPEC §2.2): generators find services; templates make them; a service the
// baseline has and an env lacks is `missing` there; a failed generator is unknown.
#include "discovery/discovery.h"

#include <nlohmann/json.hpp>

#include "pipeline/program.h"
#include "tests/support/kube_api_server.h"
#include "tests/support/process.h"
#include "tests/testing.h"

namespace drift {
namespace {

using testing::TempDir;

std::vector<std::string> Brief(const std::string& json_out) {
  std::vector<std::string> out;
  auto j = nlohmann::json::parse(json_out);
  for (const auto& f : j["findings"])
    out.push_back(f["service"].get<std::string>() + " " + f["path"].get<std::string>() + " " +
                  f["env"].get<std::string>() + " " + f["kind"].get<std::string>() + " " +
                  f["rule"].get<std::string>() + " " + f["owner"].get<std::string>());
  return out;
}

TEST_CASE("discovery: glob finds services per env, explicit services win, absent is missing") {
  TempDir dir;
  for (const char* env : {"prod", "stage", "sandbox"}) {
    dir.write(std::string("envs/") + env + "/lms.yml", "DEBUG: false\n");
  }
  dir.write("envs/prod/studio.yml", "DEBUG: false\n");
  dir.write("envs/sandbox/studio.yml", "DEBUG: true\n");
  dir.write("envs/prod/legacy-x.yml", "a: 1\n");
  dir.write("envs/sandbox/extra.yml", "a: 1\n");
  dir.write("envs/prod/notes.txt", "not a service\n");
  std::string cfg = dir.write("drift.yaml", R"(version: 1
environments: [prod, stage, sandbox]
services:
  lms:
    owner: team-learning
    sources:
      settings: {type: file, path: "envs/{env}/lms.yml"}
discover:
  - name: django
    from: {type: glob, path: "envs/{env}/{service}.yml"}
    exclude: ["legacy-*"]
    template:
      owner: team-{service}
      sources:
        settings: {type: file, path: "envs/{env}/{service}.yml"}
)");
  auto r = testing::Run({"check", "-c", cfg, "--format", "json"});
  CHECK(r.code == 1);
  CHECK(r.err == "");
  CHECK(Brief(r.out) ==
        std::vector<std::string>{"studio settings stage missing discovery team-studio",
                                 "studio settings.DEBUG sandbox changed default team-studio"});
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["findings"][0]["message"] == "discover django found studio in prod but not in stage");
  CHECK(j["summary"]["sources"] == 6);  // lms × 3, studio × 2, extra × 1

  auto owners = testing::Run({"owners", "-c", cfg});
  CHECK(owners.out.find("studio") != std::string::npos);
  CHECK(owners.out.find("team-studio") != std::string::npos);
  auto list = testing::Run({"check", "-c", cfg, "--list-services"});
  CHECK(list.code == 0);
  CHECK(list.out == "lms      prod, stage, sandbox  (" + cfg + ":4)\n"
                    "extra    sandbox  (discover django)\n"
                    "studio   prod, sandbox  (discover django; missing in stage)\n");

  // validate contacts nothing unless asked; with --discover it says what each env had.
  auto v = testing::Run({"validate", "-c", cfg});
  CHECK(v.code == 0);
  CHECK(v.out.find("discover django") == std::string::npos);
  CHECK(v.out.find(": ok — 3 environments (baseline prod), 1 services") != std::string::npos);
  auto vd = testing::Run({"validate", "-c", cfg, "--discover"});
  CHECK(vd.code == 0);
  CHECK(vd.out.starts_with("discover django in prod: 2 services: lms, studio\n"
                           "discover django in stage: 1 service: lms\n"
                           "discover django in sandbox: 3 services: extra, lms, studio\n"));
  CHECK(vd.out.find(": ok — 3 environments (baseline prod), 3 services") != std::string::npos);
}

TEST_CASE("discovery: exec per env, JSON or lines, rename, and a failing env is unknown") {
  TempDir dir;
  for (const char* env : {"prod", "stage"}) {
    dir.write(std::string(env) + "/lms.yml", "a: 1\n");
    dir.write(std::string(env) + "/cms.yml", "a: 1\n");
  }
  std::string cfg = dir.write("drift.yaml", R"(version: 1
environments: [prod, stage]
discover:
  - name: from-a-command
    from: {type: exec, command: [sh, -c, "printf 'lms-{env}\ncms-{env}\n\n'"]}
    rename: {pattern: "^(.*)-[a-z]+$", with: "$1"}
    template:
      sources:
        settings: {type: file, path: "{env}/{service}.yml"}
)");
  auto v = testing::Run({"validate", "-c", cfg, "--discover"});
  CHECK(v.out.starts_with("discover from-a-command in prod: 2 services: cms, lms\n"
                          "discover from-a-command in stage: 2 services: cms, lms\n"));
  CHECK(testing::Run({"check", "-c", cfg}).code == 0);

  // A JSON list, the same in every env (no {env} in the command).
  dir.write("drift.yaml", R"(version: 1
environments: [prod, stage]
discover:
  - name: json
    from: {type: exec, command: [echo, '["lms", "cms", "legacy"]']}
    exclude: [legacy]
    template:
      sources:
        settings: {type: file, path: "{env}/{service}.yml"}
)");
  auto json = testing::Run({"validate", "-c", cfg, "--discover"});
  CHECK(json.out.starts_with("discover json in prod: 2 services: cms, lms\n"
                             "discover json in stage: 2 services: cms, lms\n"));

  // The generator fails in stage: its services' sources there are unknown (exit 3), and
  // nothing is reported missing.
  dir.write("drift.yaml", R"(version: 1
environments: [prod, stage]
discover:
  - name: flaky
    from: {type: exec, command: [sh, -c, "test {env} = prod || { echo down >&2; exit 4; }; echo lms"]}
    template:
      sources:
        settings: {type: file, path: "{env}/{service}.yml"}
)");
  auto r = testing::Run({"check", "-c", cfg, "--format", "json"});
  CHECK(r.code == 3);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["findings"].empty());
  REQUIRE(j["errors"].size() == 2);
  // The generator itself, and the service it found in prod, unknown in stage.
  CHECK(j["errors"][0] == nlohmann::json{{"service", "discover"}, {"source", "flaky"}, {"env", "stage"},
                                         {"message", "discovery flaky failed: sh exited with status 4: down"}});
  CHECK(j["errors"][1] == nlohmann::json{{"service", "lms"}, {"source", "settings"}, {"env", "stage"},
                                         {"message", "discovery flaky failed: sh exited with status 4: down"}});
  // A generator that fails everywhere finds nothing, and says so: exit 3, not a clean pass.
  dir.write("drift.yaml", R"(version: 1
environments: [prod, stage]
discover:
  - name: nothing
    from: {type: exec, command: [sh, -c, "exit 1"]}
    template:
      sources:
        settings: {type: file, path: "{env}/{service}.yml"}
)");
  auto none = testing::Run({"check", "-c", cfg, "--format", "json"});
  CHECK(none.code == 3);
  CHECK(nlohmann::json::parse(none.out)["errors"].size() == 2);
}

TEST_CASE("discovery: a generator's config errors are positioned") {
  TempDir dir;
  std::string cfg = dir.write("drift.yaml", R"(version: 1
environments: [prod, stage]
discover:
  - name: g
    from: {type: glob, path: "envs/{env}/x.yml"}
    template: {sources: {s: {type: file, path: a.yml}}}
  - name: k
    from: {type: kubernetes}
    template: {sources: {s: {type: file, path: a.yml}}}
  - name: t
    from: {type: exec, command: [echo]}
    rename: {pattern: "(a"}
    template: {sources: {s: {type: flie, path: a.yml}}}
)");
  auto r = testing::Run({"validate", "-c", cfg});
  CHECK(r.code == 2);
  CHECK(r.err.find(cfg + ":5:30: a glob path needs {service} where the name is\n") !=
        std::string::npos);
  CHECK(r.err.find(cfg + ":8:11: a kubernetes generator needs kind: (Deployment, StatefulSet, …)") !=
        std::string::npos);
  CHECK(r.err.find(cfg + ":12:23: invalid regex") != std::string::npos);  // the bad regex
  CHECK(r.err.find("unknown source type 'flie'") != std::string::npos);
}

// A kubernetes generator: one service per Deployment of a namespace in each cluster.
TEST_CASE("discovery: kubernetes lists the objects of a kind in each env's cluster") {
  TempDir dir;
  testing::FakeKubeApi api(dir.path(), {"prod", "stage", "sandbox"});
  api.WriteKubeconfig(dir.file("kubeconfig"), "apps");
  auto deploy = [&](const char* cluster, const std::string& name, const std::string& image) {
    api.Add(cluster, nlohmann::json{{"apiVersion", "apps/v1"}, {"kind", "Deployment"},
                                    {"metadata", {{"name", name}, {"namespace", "apps"}, {"labels", {{"team", "learning"}}}}},
                                    {"spec", {{"replicas", 2}, {"template", {{"spec", {{"containers", {{{"name", name}, {"image", image}}}}}}}}}}});
  };
  for (const char* c : {"prod", "stage", "sandbox"}) deploy(c, "lms", "lms:1");
  deploy("prod", "cms", "cms:1");
  deploy("stage", "cms", "cms:2");
  deploy("prod", "legacy-x", "x:1");
  deploy("sandbox", "lms-canary", "lms:2");
  std::string cfg = dir.write("drift.yaml", R"(version: 1
environments: [prod, stage, sandbox]
x-k8s: &k8s {type: kubernetes, kubeconfig: kubeconfig, context: "{env}", namespace: apps}
discover:
  - name: deployments
    from: {<<: *k8s, kind: Deployment, selector: {team: learning}}
    exclude: ["legacy-*"]
    rename: {pattern: "-canary$", with: ""}
    template:
      owner: team-learning
      sources:
        deploy: {<<: *k8s, kind: Deployment, name: "{service}"}
)");
  auto r = testing::Run({"check", "-c", cfg, "--format", "json"});
  INFO(r.out);
  INFO(r.err);
  CHECK(r.code == 1);
  auto found = Brief(r.out);
  std::sort(found.begin(), found.end());
  CHECK(found == std::vector<std::string>{
                     "cms deploy sandbox missing discovery team-learning",
                     "cms deploy.spec.template.spec.containers[name=cms].image stage changed default team-learning",
                 });
  // The renamed canary is lms in sandbox; its source reads the object named lms there.
  auto list = testing::Run({"check", "-c", cfg, "--list-services"});
  CHECK(list.out == "cms      prod, stage  (discover deployments; missing in sandbox)\n"
                    "lms      prod, stage, sandbox  (discover deployments)\n");
  auto vd = testing::Run({"validate", "-c", cfg, "--discover"});
  CHECK(vd.out.starts_with("discover deployments in prod: 2 services: cms, lms\n"
                           "discover deployments in stage: 2 services: cms, lms\n"
                           "discover deployments in sandbox: 1 service: lms\n"));
  // A generator that cannot list (RBAC) makes its env unknown, never missing: an error.
  api.cluster("stage").forbidden.insert("deployments");
  auto denied = testing::Run({"check", "-c", cfg, "--format", "json"});
  CHECK(denied.code == 1);  // sandbox still lacks cms
  auto dj = nlohmann::json::parse(denied.out);
  std::vector<std::string> errors;
  for (const auto& e : dj["errors"])
    errors.push_back(e["service"].get<std::string>() + " " + e["source"].get<std::string>() + " " +
                     e["env"].get<std::string>() + " " +
                     (e["message"].get<std::string>().find("forbidden") != std::string::npos ? "forbidden" : "?"));
  std::sort(errors.begin(), errors.end());
  CHECK(errors == std::vector<std::string>{"cms deploy stage forbidden", "discover deployments stage forbidden",
                                           "lms deploy stage forbidden"});
  // Config errors of the generator are positioned.
  std::string bad = dir.write("bad.yaml", R"(version: 1
environments: [prod, stage]
discover:
  - name: k
    from: {type: kubernetes, kind: Widget, name: x}
    template: {sources: {s: {type: file, path: a.yml}}}
)");
  auto e = testing::Run({"validate", "-c", bad});
  CHECK(e.code == 2);
  CHECK(e.err.find(bad + ":5:44: unknown key 'name' in discover from (kubernetes)") != std::string::npos);
}

// The daemon runs the generators again every discover_interval: a new service appears, a
// failing generator keeps the last good list.
TEST_CASE("discovery: the daemon re-discovers and keeps the last good list on failure") {
  TempDir dir;
  dir.write("envs/prod/lms.yml", "a: 1\n");
  dir.write("envs/stage/lms.yml", "a: 2\n");
  dir.write("drift.yaml", R"(version: 1
environments: [prod, stage]
defaults: {interval: 1s, discover_interval: 1s}
discover:
  - name: files
    from: {type: glob, path: "envs/{env}/{service}.yml"}
    template:
      sources:
        settings: {type: file, path: "envs/{env}/{service}.yml"}
)");
  testing::DaemonProcess d(dir.file("drift.yaml"), dir.file("daemon.log"));
  auto services = [&] {
    std::set<std::string> out;
    auto j = nlohmann::json::parse(testing::HttpDo(d.url("/api/v1/sources")).body);
    for (const auto& s : j["sources"]) out.insert(s["service"].get<std::string>());
    return out;
  };
  CHECK(services() == std::set<std::string>{"lms"});
  dir.write("envs/prod/cms.yml", "b: 1\n");
  CHECK(testing::WaitFor([&] { return services() == std::set<std::string>{"cms", "lms"}; }));
  // cms is in prod only: missing in stage.
  CHECK(testing::WaitFor([&] {
    auto j = nlohmann::json::parse(testing::HttpDo(d.url("/api/v1/findings")).body);
    for (const auto& f : j["findings"])
      if (f["service"] == "cms" && f["rule"] == "discovery" && f["env"] == "stage") return true;
    return false;
  }));
  // The directory of stage's files goes away: the last good list stays.
  std::filesystem::rename(dir.file("envs/stage"), dir.file("envs/stage-gone"));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  CHECK(services() == std::set<std::string>{"cms", "lms"});
  CHECK(testing::ReadFile(dir.file("daemon.log")).find("discovery found a different set of services") !=
        std::string::npos);
}

}  // namespace
}  // namespace drift
