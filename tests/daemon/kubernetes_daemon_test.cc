// The daemon on Kubernetes sources: an object absent from a cluster is `missing` (and stays
// so across rounds and restarts, through the state store), an API server refusing drift makes
// that env unknown — stale findings, drift_source_up 0 — never a fix, and nothing the server
// writes between rounds (resourceVersion, status) makes a finding.
#include <nlohmann/json.hpp>

#include "tests/support/kube_api_server.h"
#include "tests/support/process.h"

namespace drift {
namespace {

using nlohmann::json;
using testing::HttpDo;
using testing::TempDir;
using testing::WaitFor;

json Deploy(const std::string& name, const std::string& image) {
  return json{{"apiVersion", "apps/v1"}, {"kind", "Deployment"},
              {"metadata", {{"name", name}, {"namespace", "apps"}}},
              {"spec", {{"replicas", 2}, {"template", {{"spec", {{"containers", {{{"name", name}, {"image", image}}}}}}}}}}};
}

TEST_CASE("daemon: Kubernetes sources, absent objects, refused clusters stay unknown") {
  TempDir dir;
  testing::FakeKubeApi api(dir.path() + "/pki", {"prod", "stage", "sandbox"});
  api.WriteKubeconfig(dir.file("kubeconfig"), "apps");
  api.Add("prod", Deploy("lms", "lms:1"));
  api.Add("stage", Deploy("lms", "lms:2"));
  api.Add("sandbox", Deploy("lms", "lms:1"));
  api.Add("prod", Deploy("cms", "cms:1"));
  api.Add("stage", Deploy("cms", "cms:1"));
  dir.write("drift.yaml", R"(version: 1
environments: [prod, stage, sandbox]
defaults: {interval: 300ms, timeout: 3s}
state: {path: state.db}
x-k8s: &k8s {type: kubernetes, kubeconfig: kubeconfig, context: "{env}", namespace: apps}
services:
  web:
    owner: team-web
    sources:
      lms: {<<: *k8s, kind: Deployment, name: lms}
      cms: {<<: *k8s, kind: Deployment, name: cms}
)");
  auto dp = std::make_unique<testing::DaemonProcess>(dir.file("drift.yaml"), dir.file("daemon.log"));
  auto brief = [&] {
    std::vector<std::string> out;
    auto j = json::parse(HttpDo(dp->url("/api/v1/findings")).body);
    for (const auto& f : j["findings"])
      out.push_back(f["env"].get<std::string>() + " " + f["path"].get<std::string>() + " " +
                    f["kind"].get<std::string>() + (f.value("stale", false) ? " stale" : ""));
    std::sort(out.begin(), out.end());
    return out;
  };
  const std::vector<std::string> expected{
      "sandbox cms missing", "stage lms.spec.template.spec.containers[name=lms].image changed"};
  REQUIRE(WaitFor([&] { return brief() == expected; }));
  // Rounds go by (the server bumps nothing here, but every round re-reads): still the same.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  CHECK(brief() == expected);
  // Stage's API server refuses drift: stage is unknown for both sources; its finding stays, stale.
  api.cluster("stage").forbidden.insert("deployments");
  REQUIRE(WaitFor([&] {
    return dp->Metric("drift_source_up{env=\"stage\",owner=\"team-web\",service=\"web\",source=\"lms\"}") == 0;
  }));
  // The source is down as soon as its collection fails; its findings turn stale when the
  // evaluation that follows is published (a moment later, on another thread).
  const std::vector<std::string> stale{
      "sandbox cms missing", "stage lms.spec.template.spec.containers[name=lms].image changed stale"};
  CHECK(WaitFor([&] { return brief() == stale; }));
  CHECK(brief() == stale);
  auto sources = json::parse(HttpDo(dp->url("/api/v1/sources")).body);
  bool said = false;
  for (const auto& s : sources["sources"])
    if (s["env"] == "stage" && s["source"] == "lms")
      said = s["last_error"].get<std::string>().starts_with("forbidden: deployments.apps \"lms\" is forbidden");
  CHECK(said);
  // Allowed again, and stage fixed meanwhile: the finding resolves only now.
  api.Add("stage", Deploy("lms", "lms:1"));
  api.cluster("stage").forbidden.clear();
  REQUIRE(WaitFor([&] { return brief() == std::vector<std::string>{"sandbox cms missing"}; }));
  // A restart reads the same from the store and the clusters.
  dp->child->Signal(SIGTERM);
  CHECK(dp->child->Wait(std::chrono::seconds(10)) == 0);
  dp = std::make_unique<testing::DaemonProcess>(dir.file("drift.yaml"), dir.file("daemon.log"));
  REQUIRE(WaitFor([&] { return brief() == std::vector<std::string>{"sandbox cms missing"}; }));
}

}  // namespace
}  // namespace drift
