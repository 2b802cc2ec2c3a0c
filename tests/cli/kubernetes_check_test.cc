// drift check on Kubernetes sources end to end: three clusters behind the loopback API
// server, findings exactly as a user reads them, none from fields the server writes.
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/support/kube_api_server.h"
#include "tests/testing.h"

namespace drift {
namespace {

using nlohmann::json;
using testing::Run;
using testing::TempDir;

json Deploy(const std::string& image, const std::string& log_level) {
  return json::parse(R"({"apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "lms", "namespace": "lms", "labels": {"app": "lms"}},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "lms"}},
      "template": {"metadata": {"labels": {"app": "lms"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"},
          {"name": "lms", "image": ")" + image + R"(", "env": [{"name": "LOG_LEVEL", "value": ")" + log_level + R"("}]}]}}}})");
}

TEST_CASE("check: Kubernetes objects across three clusters give exactly the drift, none from server fields") {
  TempDir dir;
  testing::FakeKubeApi api(dir.path(), {"prod", "stage", "sandbox"});
  std::string kc = api.WriteKubeconfig(dir.file("kubeconfig"), "lms");
  api.Add("prod", Deploy("openedx/lms:v2.3.0", "info"));
  api.Add("stage", Deploy("openedx/lms:v2.4.0", "info"));
  // Container order differs in sandbox: paired by name, no finding.
  json sandbox = Deploy("openedx/lms:v2.3.0", "debug");
  std::swap(sandbox["spec"]["template"]["spec"]["containers"][0], sandbox["spec"]["template"]["spec"]["containers"][1]);
  api.Add("sandbox", sandbox);
  json worker = Deploy("openedx/lms:v2.3.0", "info");
  worker["metadata"]["name"] = "worker";
  api.Add("prod", worker);
  api.Add("stage", worker);
  for (const char* c : {"prod", "stage", "sandbox"}) {
    api.Add(c, json{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "lms-config"}, {"namespace", "lms"}}},
                    {"data", {{"lms.yml", std::string("FEATURES:\n  ENABLE_X: ") + (std::string(c) == "stage" ? "true" : "false") + "\n"}}}});
    api.Add(c, json{{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "lms-secrets"}, {"namespace", "lms"}}},
                    {"data", {{"JWT_KEY", std::string(c) == "stage" ? "c3RhZ2Uta2V5" : "cHJvZC1rZXk="}}}});
  }
  dir.write("drift.yaml", R"(version: 1
environments: [prod, stage, sandbox]
x-k8s: &k8s {type: kubernetes, kubeconfig: kubeconfig, context: "{env}", namespace: lms}
services:
  lms:
    owner: team-learning
    sources:
      deploy: {<<: *k8s, kind: Deployment, name: lms}
      config: {<<: *k8s, kind: ConfigMap, name: lms-config}
      secrets: {<<: *k8s, kind: Secret, name: lms-secrets}
      cms: {<<: *k8s, kind: Deployment, name: cms}
      worker: {<<: *k8s, kind: Deployment, name: worker}
rules:
  - name: keys-differ
    match: "secrets.data.*"
    expect: differ
    severity: critical
)");
  auto r = Run({"check", "-c", dir.file("drift.yaml"), "--format", "json"});
  INFO(r.out);
  INFO(r.err);
  CHECK(r.code == 1);
  auto j = json::parse(r.out);
  std::vector<std::string> got;
  for (auto& f : j["findings"]) {
    std::string line = f["env"].get<std::string>() + " " + f["path"].get<std::string>() + " " +
                       f["kind"].get<std::string>() + " " + f["rule"].get<std::string>();
    if (f["redacted"] == true) line += f["value"].get<std::string>().starts_with("hmac:") ? " hmac" : " SHOWN";
    else if (f.contains("value")) line += " " + f["value"].dump();
    got.push_back(line);
  }
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>{
                   "sandbox deploy.spec.template.spec.containers[name=lms].env[name=LOG_LEVEL].value changed default \"debug\"",
                   "sandbox secrets.data.JWT_KEY same keys-differ hmac",
                   "sandbox worker missing default",
                   "stage config.data[\"lms.yml\"].FEATURES.ENABLE_X changed default true",
                   "stage deploy.spec.template.spec.containers[name=lms].image changed default \"openedx/lms:v2.4.0\"",
               });
  // cms exists nowhere: nothing to compare, not an error.
  CHECK(j["errors"].empty());
  CHECK(r.out.find("cHJvZC1rZXk") == std::string::npos);
  CHECK(r.out.find("prod-key") == std::string::npos);
}

// docs/kubernetes.md's shortest config (9 lines): every Deployment and ConfigMap of a namespace
// in three clusters. Identical objects, which the server gave different uids, versions,
// timestamps, managedFields, revisions and status: no finding at all.
TEST_CASE("check: the shortest Kubernetes config finds nothing where only server fields differ") {
  TempDir dir;
  testing::FakeKubeApi api(dir.path(), {"prod", "stage", "sandbox"});
  std::string kc = api.WriteKubeconfig(dir.file("kubeconfig"), "lms");
  for (const char* c : {"prod", "stage", "sandbox"}) {
    for (const char* name : {"lms", "cms", "worker"}) {
      json d = Deploy("openedx/lms:v2.3.0", "info");
      d["metadata"]["name"] = name;
      if (std::string(c) == "stage") d["spec"]["template"]["metadata"]["annotations"] = {{"kubectl.kubernetes.io/restartedAt", "2026-11-29T08:00:00Z"}};
      api.Add(c, d);
      api.Add(c, json{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", std::string(name) + "-config"}, {"namespace", "lms"}}},
                      {"data", {{"app.yml", "DEBUG: false\n"}}}});
    }
  }
  std::string docs = testing::ReadFile(testing::SourceDir() + "/docs/kubernetes.md");
  size_t at = docs.find("```yaml\nversion: 1") + 8;
  std::string config = docs.substr(at, docs.find("```", at) - at);
  CHECK(std::count(config.begin(), config.end(), '\n') == 9);  // under 15 lines
  dir.write("drift.yaml", config);
  const char* old = std::getenv("KUBECONFIG");
  std::string saved = old ? old : "";
  setenv("KUBECONFIG", kc.c_str(), 1);
  auto r = Run({"check", "-c", dir.file("drift.yaml"), "--format", "json"});
  auto kept = dir.write("keep.yaml", std::regex_replace(config, std::regex("kind: Deployment"), "kind: Deployment, keep_server_fields: true"));
  auto noisy = Run({"check", "-c", kept, "--format", "json"});
  if (saved.empty()) unsetenv("KUBECONFIG");
  else setenv("KUBECONFIG", saved.c_str(), 1);
  INFO(r.out);
  INFO(r.err);
  CHECK(r.code == 0);
  auto j = json::parse(r.out);
  CHECK(j["findings"].empty());
  CHECK(j["summary"]["sources"] == 6);
  // The same objects with the server's fields kept: every one of them differs.
  CHECK(noisy.code == 1);
  CHECK(json::parse(noisy.out)["findings"].size() >= 9 * 3);
}

}  // namespace
}  // namespace drift
