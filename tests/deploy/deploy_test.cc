// What deploy/ ships (SPEC §8), checked with the real tools: promtool on the Prometheus
// config and alerting rules (with their unit tests), amtool on the Alertmanager routes, the
// Kubernetes manifests against each other, and every Grafana panel's query against a real
// Prometheus scraping a real drift daemon.
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <map>

#include "tests/support/process.h"

namespace drift {
namespace {

using testing::Child;
using testing::HttpDo;
using testing::ReadFile;
using testing::TempDir;
using testing::WaitFor;

const std::string kDeploy = std::string(DRIFT_SOURCE_DIR) + "/deploy/";

// Runs a shell command; returns its exit code and leaves its output in `out`.
int Run(const TempDir& dir, const std::string& cmd, std::string& out) {
  int rc = std::system((cmd + " > " + dir.file("cmd.log") + " 2>&1").c_str());
  out = ReadFile(dir.file("cmd.log"));
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST_CASE("deploy: promtool accepts the Prometheus config and rules, the rules' tests pass") {
  testing::RequireTool("promtool", "prometheus");
  TempDir dir;
  std::string out;
  CHECK(Run(dir, "promtool check config " + kDeploy + "prometheus/prometheus.yml", out) == 0);
  INFO(out);
  CHECK(Run(dir, "promtool check rules " + kDeploy + "prometheus/drift-rules.yml", out) == 0);
  CHECK(out.find("SUCCESS: 7 rules found") != std::string::npos);
  CHECK(Run(dir, "promtool test rules " + kDeploy + "prometheus/drift-rules.test.yml", out) == 0);
  INFO(out);
  // Every rule has a unit test.
  std::string tests = ReadFile(kDeploy + "prometheus/drift-rules.test.yml");
  for (const auto& group : YAML::LoadFile(kDeploy + "prometheus/drift-rules.yml")["groups"])
    for (const auto& rule : group["rules"])
      CHECK(tests.find("alertname: " + rule["alert"].as<std::string>()) != std::string::npos);
}

TEST_CASE("deploy: amtool accepts the Alertmanager config, which routes drift by team") {
  testing::RequireTool("amtool", "prometheus-alertmanager");
  TempDir dir;
  std::string cfg = kDeploy + "alertmanager/alertmanager.yml", out;
  REQUIRE(Run(dir, "amtool check-config " + cfg, out) == 0);
  auto route = [&](const std::string& labels) {
    Run(dir, "amtool config routes test --config.file=" + cfg + " " + labels, out);
    // The receivers are the last line (amtool may warn about its flags first).
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out.substr(out.rfind('\n') + 1);
  };
  CHECK(route("alertname=ConfigDrift team=team-learning severity=warning") == "team-learning");
  CHECK(route("alertname=ConfigDrift team=team-learning severity=critical") ==
        "team-pager,team-learning");
  CHECK(route("alertname=ConfigDrift team=team-authoring severity=info") == "team-authoring");
  CHECK(route("alertname=ConfigDrift team=unowned severity=critical") == "platform-triage");
  CHECK(route("alertname=DriftSourceDown team=platform") == "platform-triage");
}

TEST_CASE("deploy: the Kubernetes manifests agree with each other and with drift") {
  auto load = [](const std::string& f) { return YAML::LoadFile(kDeploy + "kubernetes/" + f); };
  auto sts = load("statefulset.yaml");
  auto svc = load("service.yaml");
  auto mon = load("servicemonitor.yaml");
  auto kust = load("kustomization.yaml");
  CHECK(kust["resources"].size() == 6);

  // --shard I/N with N = replicas, I from the pod's ordinal.
  auto pod = sts["spec"]["template"];
  auto c = pod["spec"]["containers"][0];
  int replicas = sts["spec"]["replicas"].as<int>();
  std::string args;
  for (const auto& a : c["args"]) args += a.as<std::string>() + " ";
  CHECK(args.find("--shard=$(POD_INDEX)/" + std::to_string(replicas) + " ") != std::string::npos);
  CHECK(c["env"][0]["name"].as<std::string>() == "POD_INDEX");
  CHECK(c["env"][0]["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>() ==
        "metadata.labels['apps.kubernetes.io/pod-index']");

  // Selectors and ports line up: Service -> pods, ServiceMonitor -> Service.
  std::string app = "app.kubernetes.io/name";
  CHECK(svc["spec"]["selector"][app].as<std::string>() ==
        pod["metadata"]["labels"][app].as<std::string>());
  CHECK(sts["spec"]["selector"]["matchLabels"][app].as<std::string>() ==
        pod["metadata"]["labels"][app].as<std::string>());
  CHECK(mon["spec"]["selector"]["matchLabels"][app].as<std::string>() ==
        svc["metadata"]["labels"][app].as<std::string>());
  CHECK(mon["spec"]["endpoints"][0]["port"].as<std::string>() ==
        svc["spec"]["ports"][0]["name"].as<std::string>());
  // kube-prometheus-stack selects ServiceMonitors by its release label.
  CHECK(mon["metadata"]["labels"]["release"].as<std::string>() == "kube-prometheus-stack");
  CHECK(c["ports"][0]["name"].as<std::string>() == "metrics");
  CHECK(c["ports"][0]["containerPort"].as<int>() == 9464);

  // drift.yaml (the generated ConfigMap's content) is valid, listens where the Service
  // points, keeps its state on the volume and shares one fingerprint key between replicas.
  TempDir dir;
  std::string text = ReadFile(kDeploy + "kubernetes/drift.yaml");
  dir.write("drift.yaml", text);
  std::string out;
  CHECK(Run(dir, std::string(DRIFT_BINARY) + " validate -c " + dir.file("drift.yaml"), out) == 0);
  INFO(out);
  auto cfg = YAML::Load(text);
  CHECK(cfg["server"]["listen"].as<std::string>() == "0.0.0.0:9464");
  std::string state_mount;
  for (const auto& m : c["volumeMounts"])
    if (m["name"].as<std::string>() == "state") state_mount = m["mountPath"].as<std::string>();
  CHECK(cfg["state"]["path"].as<std::string>().rfind(state_mount + "/", 0) == 0);
  CHECK(cfg["secrets"]["fingerprint_key"].as<std::string>().find("/etc/drift/secrets/") !=
        std::string::npos);
}

// What `kubectl apply -k deploy/kubernetes` would create, rendered by kubectl itself.
TEST_CASE("deploy: kubectl kustomize renders a restricted, read-only, disruption-safe drift") {
  TempDir dir;
  std::string out;
  if (Run(dir, "kubectl version --client", out) != 0) {
    MESSAGE("kubectl is not installed: skipped");
    return;
  }
  REQUIRE_MESSAGE(Run(dir, "kubectl kustomize " + kDeploy + "kubernetes", out) == 0, out);
  std::map<std::string, YAML::Node> by_kind;
  for (const auto& d : YAML::LoadAll(out)) by_kind[d["kind"].as<std::string>()] = d;
  for (const char* k : {"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap",
                        "StatefulSet", "Service", "ServiceMonitor", "PodDisruptionBudget"})
    CHECK_MESSAGE(by_kind.count(k), k);
  // The restricted Pod Security Standard, enforced on the namespace and met by the pod.
  auto ns = by_kind["Namespace"];
  CHECK(ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"].as<std::string>() == "restricted");
  auto sts = by_kind["StatefulSet"];
  CHECK(sts["metadata"]["namespace"].as<std::string>() == "drift");
  auto spec = sts["spec"]["template"]["spec"];
  CHECK(spec["serviceAccountName"].as<std::string>() == "drift");
  CHECK(spec["securityContext"]["runAsNonRoot"].as<bool>());
  CHECK(spec["securityContext"]["seccompProfile"]["type"].as<std::string>() == "RuntimeDefault");
  auto c = spec["containers"][0];
  CHECK_FALSE(c["securityContext"]["allowPrivilegeEscalation"].as<bool>());
  CHECK(c["securityContext"]["readOnlyRootFilesystem"].as<bool>());
  CHECK(c["securityContext"]["capabilities"]["drop"][0].as<std::string>() == "ALL");
  CHECK(c["readinessProbe"]["httpGet"]["path"].as<std::string>() == "/readyz");
  CHECK(c["livenessProbe"]["httpGet"]["path"].as<std::string>() == "/healthz");
  CHECK(c["resources"]["requests"]["memory"].IsDefined());
  CHECK(c["resources"]["limits"]["memory"].IsDefined());
  // The config is a directory mount of the generated ConfigMap (its name carries the content
  // hash, so a change rolls the pods); never subPath, which the kubelet never updates.
  std::string cm = by_kind["ConfigMap"]["metadata"]["name"].as<std::string>();
  CHECK(std::regex_match(cm, std::regex("drift-config-[a-z0-9]{10}")));
  std::map<std::string, YAML::Node> volumes, mounts;
  for (const auto& v : spec["volumes"]) volumes[v["name"].as<std::string>()] = YAML::Node(v);
  for (const auto& m : c["volumeMounts"]) {
    CHECK_FALSE(m["subPath"].IsDefined());
    mounts[m["name"].as<std::string>()] = YAML::Node(m);
  }
  CHECK(volumes["config"]["configMap"]["name"].as<std::string>() == cm);
  std::string args;
  for (const auto& a : c["args"]) args += a.as<std::string>() + " ";
  CHECK(args.find("--config=" + mounts["config"]["mountPath"].as<std::string>() + "/drift.yaml ") != std::string::npos);
  CHECK(by_kind["ConfigMap"]["data"]["drift.yaml"].as<std::string>() == ReadFile(kDeploy + "kubernetes/drift.yaml"));
  // Other clusters' kubeconfig: an optional Secret, mounted as a file $KUBECONFIG names.
  CHECK(volumes["kubeconfig"]["secret"]["optional"].as<bool>());
  std::string kubeconfig_env;
  for (const auto& e : c["env"])
    if (e["name"].as<std::string>() == "KUBECONFIG") kubeconfig_env = e["value"].as<std::string>();
  CHECK(kubeconfig_env.rfind(mounts["kubeconfig"]["mountPath"].as<std::string>() + "/", 0) == 0);
  // Read-only RBAC bound to the pod's service account.
  const std::set<std::string> read_only{"get", "list", "watch"};
  for (const auto& rule : by_kind["ClusterRole"]["rules"])
    for (const auto& verb : rule["verbs"])
      CHECK_MESSAGE(read_only.count(verb.as<std::string>()) == 1, verb.as<std::string>());
  auto subject = by_kind["ClusterRoleBinding"]["subjects"][0];
  CHECK(subject["name"].as<std::string>() == "drift");
  CHECK(subject["namespace"].as<std::string>() == "drift");
  // One shard at a time may be evicted, selected like the pods.
  auto pdb = by_kind["PodDisruptionBudget"];
  CHECK(pdb["spec"]["maxUnavailable"].as<int>() == 1);
  CHECK(pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"].as<std::string>() ==
        sts["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"].as<std::string>());
}

TEST_CASE("deploy: the systemd unit runs the daemon, reloads with SIGHUP, stops in time") {
  std::string unit = ReadFile(kDeploy + "systemd/drift.service");
  CHECK(unit.find("\nExecStart=/usr/local/bin/drift daemon -c /etc/drift/drift.yaml") !=
        std::string::npos);
  CHECK(unit.find("\nExecReload=/bin/kill -HUP $MAINPID\n") != std::string::npos);
  CHECK(unit.find("\nStateDirectory=drift\n") != std::string::npos);
  std::smatch m;
  REQUIRE(std::regex_search(unit, m, std::regex("\nTimeoutStopSec=([0-9]+)\n")));
  CHECK(std::stoi(m[1]) > 10);  // drift stops within 10 s
  // Room for server.max_connections (1,000 by default) and collection.
  REQUIRE(std::regex_search(unit, m, std::regex("\nLimitNOFILE=([0-9]+)\n")));
  CHECK(std::stoi(m[1]) >= 4096);
}

// Grafana's variables as a user with "All" selected has them.
std::string Expand(std::string expr) {
  expr = std::regex_replace(expr, std::regex(R"(\$__rate_interval)"), "1m");
  expr = std::regex_replace(expr, std::regex(R"(\$service|\$env)"), ".*");
  return expr;
}

TEST_CASE("deploy: every Grafana panel's query returns data from Prometheus scraping drift") {
  TempDir dir;
  dir.write("drift.yaml", R"(version: 1
environments: [prod, stage]
defaults: {interval: 300ms, timeout: 2s}
state: {path: state.db}
services:
  app:
    owner: team-app
    sources:
      conf: {type: file, path: "{env}.yaml"}
      broken: {type: file, path: "missing-{env}.yaml"}
  orphan:
    sources:
      conf: {type: file, path: "orphan-{env}.yaml"}
rules:
  - name: pins
    match: "conf.pin"
    severity: critical
  - ignore: "conf.old"
    reason: long gone
    expires: 2020-01-01
)");
  dir.write("prod.yaml", "a: 1\npin: v1\nold: 1\n");
  dir.write("stage.yaml", "a: 2\npin: v2\nold: 2\n");
  dir.write("orphan-prod.yaml", "x: 1\n");
  dir.write("orphan-stage.yaml", "x: 2\n");
  testing::DaemonProcess daemon(dir.file("drift.yaml"), dir.file("daemon.log"));
  int port = daemon.port;

  // The shipped prometheus.yml and rules, pointed at this daemon and scraping every second.
  std::string prom_cfg = ReadFile(kDeploy + "prometheus/prometheus.yml");
  prom_cfg = std::regex_replace(prom_cfg, std::regex("127\\.0\\.0\\.1:9464"),
                                "127.0.0.1:" + std::to_string(port));
  prom_cfg = std::regex_replace(prom_cfg, std::regex("127\\.0\\.0\\.1:9093"),
                                "127.0.0.1:" + std::to_string(testing::FreePort()));
  prom_cfg = std::regex_replace(prom_cfg, std::regex("30s"), "1s");
  prom_cfg = std::regex_replace(prom_cfg, std::regex("drift-rules\\.yml"),
                                kDeploy + "prometheus/drift-rules.yml");
  dir.write("prometheus.yml", prom_cfg);
  int prom_port = testing::FreePort();
  testing::RequireTool("/usr/bin/prometheus", "prometheus");
  Child prom({"/usr/bin/prometheus", "--config.file=" + dir.file("prometheus.yml"),
              "--storage.tsdb.path=" + dir.file("prom"),
              "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
             dir.file("prometheus.log"));
  std::string api = "http://127.0.0.1:" + std::to_string(prom_port) + "/api/v1/";
  auto query = [&](const std::string& q) {
    char* esc = curl_easy_escape(nullptr, q.c_str(), 0);
    auto r = HttpDo(api + "query?query=" + esc);
    curl_free(esc);
    return r.status == 200 ? nlohmann::json::parse(r.body)["data"]["result"] : nlohmann::json();
  };
  // Rate panels need two scrapes of a counter that moved.
  bool scraped = WaitFor([&] {
    auto r = query("rate(drift_collect_duration_seconds_count[1m]) > 0");
    return r.is_array() && !r.empty();
  }, std::chrono::seconds(40));
  INFO(ReadFile(dir.file("prometheus.log")));
  REQUIRE(scraped);

  auto dash = nlohmann::json::parse(ReadFile(kDeploy + "grafana/drift-dashboard.json"));
  size_t queries = 0;
  for (const auto& panel : dash["panels"]) {
    for (const auto& target : panel["targets"]) {
      std::string expr = Expand(target["expr"]);
      std::string what = panel["title"].get<std::string>() + ": " + expr;
      INFO(what);
      nlohmann::json result;
      CHECK(WaitFor([&] {
        result = query(expr);
        return result.is_array() && !result.empty();
      }, std::chrono::seconds(10)));
      ++queries;
    }
  }
  CHECK(queries >= 15);
  // Every panel has a unit and a link to drift's page filtered the same way; the matrix
  // maps severities to words and colours.
  for (const auto& panel : dash["panels"]) {
    INFO(panel["title"]);
    CHECK(panel["fieldConfig"]["defaults"].contains("unit"));
    CHECK(panel["links"][0]["url"].get<std::string>().starts_with("${drift_url}/?service="));
  }
  auto matrix = query(Expand(dash["panels"][6]["targets"][0]["expr"]));
  std::map<std::string, std::string> worst;  // service/env -> value
  for (const auto& r : matrix)
    worst[r["metric"]["service"].get<std::string>() + "/" + r["metric"]["env"].get<std::string>()] =
        r["value"][1];
  CHECK(worst == std::map<std::string, std::string>{
                     {"app/prod", "0"}, {"app/stage", "3"}, {"orphan/prod", "0"}, {"orphan/stage", "2"}});
  // The variables' values come from the metrics too.
  for (const auto& var : dash["templating"]["list"]) {
    if (var["type"] != "query") continue;
    std::string name = var["name"];
    auto r = HttpDo(api + "label/" + name + "/values?match[]=drift_source_up");
    CHECK(nlohmann::json::parse(r.body)["data"].size() == 2);  // app, orphan / prod, stage
  }
  // What the panels show is what drift knows.
  auto crit = query(Expand("sum(drift_findings{severity=\"critical\", service=~\"$service\", env=~\"$env\"}) or vector(0)"));
  REQUIRE(crit.size() == 1);
  CHECK(crit[0]["value"][1] == "1");
  CHECK(query("sum(drift_unowned_services)")[0]["value"][1] == "1");
  CHECK(query("sum(drift_waivers_expired)")[0]["value"][1] == "1");
  CHECK(query("count(drift_source_up == 0)")[0]["value"][1] == "2");
  // The shipped rules loaded into the real Prometheus.
  auto rules = nlohmann::json::parse(HttpDo(api + "rules").body);
  CHECK(rules["data"]["groups"][0]["rules"].size() == 7);
}

}  // namespace
}  // namespace drift
