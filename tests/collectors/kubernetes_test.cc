#include <nlohmann/json.hpp>

#include <future>

#include "collectors/kube_api.h"
#include "collectors/kubeconfig.h"
#include "tests/collectors/collectors_testing.h"
#include "tests/support/kube_api_server.h"

namespace drift {
namespace {

using nlohmann::json;
using testing::AsJson;
using testing::BuildCollector;
using testing::FakeKubeApi;
using testing::ReadFile;
using testing::TempDir;

json Deployment(const std::string& name, const std::string& image, int replicas = 2) {
  return json::parse(R"({"apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": ")" + name + R"(", "namespace": "lms", "labels": {"app": ")" + name + R"(", "tier": "web"}},
    "spec": {"replicas": )" + std::to_string(replicas) + R"(, "selector": {"matchLabels": {"app": ")" + name + R"("}},
      "template": {"metadata": {"labels": {"app": ")" + name + R"("},
                                "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-30T10:00:00Z"}},
        "spec": {"containers": [
          {"name": ")" + name + R"(", "image": ")" + image + R"(", "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "DB_HOST", "value": "db"}],
           "ports": [{"containerPort": 8000}]},
          {"name": "nginx", "image": "nginx:1.25"}]}}}})");
}

struct Fleet {
  TempDir dir;
  FakeKubeApi api{dir.path(), {"prod", "stage", "sandbox"}};
  std::string kubeconfig = api.WriteKubeconfig(dir.file("kubeconfig"), "lms");
  Fleet() {
    for (const char* c : {"prod", "stage", "sandbox"})
      api.Add(c, json::parse(R"({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lms"}})"));
    api.Add("prod", Deployment("lms", "openedx/lms:v2.3.0"));
    api.Add("stage", Deployment("lms", "openedx/lms:v2.4.0"));
    api.Add("prod", Deployment("cms", "openedx/cms:v2.3.0"));
    api.Add("stage", Deployment("cms", "openedx/cms:v2.3.0"));
  }
  std::unique_ptr<testing::BuiltCollector> Build(const std::string& extra, const std::string& env) {
    return BuildCollector(dir, "{type: kubernetes, kubeconfig: " + kubeconfig +
                                   ", context: \"{env}\"" + extra + "}", env);
  }
};

TEST_CASE("kubernetes: a Deployment by name per context, server fields stripped, merge lists keyed by name") {
  Fleet f;
  auto stage = f.Build(", kind: Deployment, name: lms", "stage");
  REQUIRE(stage->collector);
  auto doc = stage->Collect();
  REQUIRE_MESSAGE(doc.ok(), (doc.ok() ? "" : doc.error().message));
  CHECK(AsJson(*doc) ==
        R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"app":"lms","tier":"web"},"name":"lms","namespace":"lms"},)"
        R"("spec":{"replicas":2,"selector":{"matchLabels":{"app":"lms"}},"template":{"metadata":{"labels":{"app":"lms"}},)"
        R"("spec":{"containers":{"lms":{"env":{"LOG_LEVEL":{"name":"LOG_LEVEL","value":"info"},"DB_HOST":{"name":"DB_HOST","value":"db"}},)"
        R"("image":"openedx/lms:v2.4.0","name":"lms","ports":[{"containerPort":8000}]},"nginx":{"image":"nginx:1.25","name":"nginx"}}}}}})");
  // The containers map is keyed: paths read containers[name=lms].
  NodeId containers = ResolvePath(*doc, doc->root(), *ParsePath("spec.template.spec.containers"));
  CHECK(doc->keyed_field(containers) == "name");
  // keep_server_fields: what the server wrote is there.
  auto kept = f.Build(", kind: Deployment, name: lms, keep_server_fields: true", "stage")->Collect();
  REQUIRE(kept.ok());
  auto j = json::parse(AsJson(*kept));
  CHECK(j["status"]["readyReplicas"] == 2);
  CHECK(j["metadata"].contains("uid"));
  CHECK(j["metadata"].contains("managedFields"));
  CHECK(j["metadata"]["annotations"].contains("kubectl.kubernetes.io/last-applied-configuration"));
  // strip: defaulted fields the user names.
  auto stripped = f.Build(", kind: deploy, name: lms, strip: [\"s.spec.template.spec.containers[name=lms].ports\", s.metadata.labels.tier]",
                          "stage")->Collect();
  REQUIRE(stripped.ok());
  auto s = json::parse(AsJson(*stripped));
  CHECK(s["metadata"]["labels"] == json({{"app", "lms"}}));
  CHECK_FALSE(s["spec"]["template"]["spec"]["containers"]["lms"].contains("ports"));
  CHECK(s["spec"]["template"]["spec"]["containers"]["nginx"]["image"] == "nginx:1.25");
}

TEST_CASE("kubernetes: 404 is an absent object, 401 and 403 and TLS failures are errors, 429 waits for Retry-After") {
  Fleet f;
  auto sandbox = f.Build(", kind: Deployment, name: lms", "sandbox")->Collect();
  REQUIRE(sandbox.ok());
  CHECK(sandbox->root() == kNoNode);  // not there: `missing`, not unknown
  f.api.cluster("stage").forbidden.insert("deployments");
  auto forbidden = f.Build(", kind: Deployment, name: lms", "stage")->Collect();
  REQUIRE_FALSE(forbidden.ok());
  CHECK(forbidden.error().message ==
        "forbidden: deployments.apps \"lms\" is forbidden: User \"system:serviceaccount:drift:drift\" cannot get "
        "resource \"deployments\" in API group \"apps\" in the namespace \"lms\" (GET " +
            f.api.server("stage") + "/apis/apps/v1/namespaces/lms/deployments/lms)");
  // A wrong token: unauthorized, the token itself never shown.
  std::string bad = ReadFile(f.kubeconfig);
  bad.replace(bad.find("token-prod"), 10, "token-nope");
  f.dir.write("bad-kubeconfig", bad);
  auto unauthorized = BuildCollector(f.dir, "{type: kubernetes, kubeconfig: " + f.dir.file("bad-kubeconfig") +
                                               ", context: prod, kind: Deployment, name: lms}")->Collect();
  REQUIRE_FALSE(unauthorized.ok());
  CHECK(unauthorized.error().message.starts_with(
      "unauthorized: the API server does not accept the credentials of context 'prod': Unauthorized (GET "));
  CHECK(unauthorized.error().message.find("token-nope") == std::string::npos);
  // A CA that did not sign the server's certificate.
  std::string other = f.api.WriteKubeconfig(f.dir.file("other-ca-kubeconfig"), "lms", false, f.dir.file("other-ca.crt"));
  auto tls = BuildCollector(f.dir, "{type: kubernetes, kubeconfig: " + other + ", context: prod, kind: Deployment, name: lms}")->Collect();
  REQUIRE_FALSE(tls.ok());
  CHECK(tls.error().kind == ErrorKind::kTls);
  // Rate limited: the Retry-After is honoured within the timeout.
  f.api.cluster("prod").throttle = 1;
  auto t0 = std::chrono::steady_clock::now();
  auto throttled = f.Build(", kind: Deployment, name: cms", "prod")->Collect();
  CHECK(throttled.ok());
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(900));
  // Past the timeout: an error of the source.
  f.api.cluster("prod").throttle = 100;
  auto late = f.Build(", kind: Deployment, name: cms, timeout: 1500ms", "prod")->Collect();
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().message.starts_with("HTTP 429: the server has received too many requests"));
  // No such context: said with the contexts there are.
  auto nocontext = BuildCollector(f.dir, "{type: kubernetes, kubeconfig: " + f.kubeconfig +
                                             ", context: stg, kind: Deployment, name: lms}")->Collect();
  CHECK(nocontext.error().message == "kubeconfig " + f.kubeconfig + " has no context 'stg' (did you mean 'stage'?)");
}

TEST_CASE("kubernetes: client certificates, in-cluster service accounts and certificate data in the kubeconfig") {
  Fleet f;
  std::string certs = f.api.WriteKubeconfig(f.dir.file("cert-kubeconfig"), "lms", true);
  auto doc = BuildCollector(f.dir, "{type: kubernetes, kubeconfig: " + certs + ", context: prod, kind: Deployment, name: lms}")->Collect();
  REQUIRE_MESSAGE(doc.ok(), (doc.ok() ? "" : doc.error().message));
  CHECK(json::parse(AsJson(*doc))["spec"]["replicas"] == 2);
  // The same with everything inline (certificate-authority-data, client-*-data), base64.
  auto b64 = [&](const std::string& file) {
    std::string out;
    FILE* p = popen(("base64 -w0 " + f.dir.file(file)).c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
    return out;
  };
  f.dir.write("inline-kubeconfig",
              "apiVersion: v1\nkind: Config\ncurrent-context: here\nclusters:\n- name: c\n  cluster:\n    server: " +
                  f.api.server("stage") + "\n    certificate-authority-data: " + b64("ca.crt") +
                  "\nusers:\n- name: u\n  user:\n    client-certificate-data: " + b64("client.crt") +
                  "\n    client-key-data: " + b64("client.key") +
                  "\ncontexts:\n- name: here\n  context: {cluster: c, user: u, namespace: lms}\n");
  auto inline_doc = BuildCollector(f.dir, "{type: kubernetes, kubeconfig: " + f.dir.file("inline-kubeconfig") +
                                              ", kind: Deployment, name: lms}")->Collect();
  REQUIRE_MESSAGE(inline_doc.ok(), (inline_doc.ok() ? "" : inline_doc.error().message));
  CHECK(json::parse(AsJson(*inline_doc))["spec"]["template"]["spec"]["containers"]["lms"]["image"] == "openedx/lms:v2.4.0");
  // insecure-skip-tls-verify: no CA at all, and the server's certificate is not checked.
  f.dir.write("insecure-kubeconfig",
              "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " + f.api.server("prod") +
                  "\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user: {tokenFile: token-file}\n"
                  "contexts:\n- name: x\n  context: {cluster: c, user: u, namespace: lms}\ncurrent-context: x\n");
  f.dir.write("token-file", "token-prod\n");  // relative to the kubeconfig, newline dropped
  auto insecure = BuildCollector(f.dir, "{type: kubernetes, kubeconfig: " + f.dir.file("insecure-kubeconfig") +
                                            ", kind: Deployment, name: lms}")->Collect();
  REQUIRE_MESSAGE(insecure.ok(), (insecure.ok() ? "" : insecure.error().message));
  CHECK(json::parse(AsJson(*insecure))["spec"]["template"]["spec"]["containers"]["lms"]["image"] == "openedx/lms:v2.3.0");
  // In-cluster: no kubeconfig anywhere, the service account's token and CA.
  TempDir sa;
  sa.write("token", "token-sandbox\n");
  std::filesystem::copy_file(f.dir.file("ca.crt"), sa.file("ca.crt"));
  sa.write("namespace", "lms");
  f.api.Add("sandbox", Deployment("lms", "openedx/lms:v2.2.0"));
  std::string port = f.api.server("sandbox").substr(std::string("https://127.0.0.1:").size());
  setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", port.c_str(), 1);
  setenv("DRIFT_SERVICEACCOUNT_DIR", sa.path().c_str(), 1);
  const char* old_kc = std::getenv("KUBECONFIG");
  std::string saved = old_kc ? old_kc : "";
  unsetenv("KUBECONFIG");
  const char* old_home = std::getenv("HOME");
  std::string home = old_home ? old_home : "";
  setenv("HOME", sa.path().c_str(), 1);
  auto target = ResolveKubeTarget("", "");
  REQUIRE(target.ok());
  CHECK(target->context == "in-cluster");
  CHECK(target->namespace_ == "lms");
  auto in_cluster = BuildCollector(f.dir, "{type: kubernetes, kind: Deployment, name: lms}")->Collect();
  setenv("HOME", home.c_str(), 1);
  if (!saved.empty()) setenv("KUBECONFIG", saved.c_str(), 1);
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  unsetenv("DRIFT_SERVICEACCOUNT_DIR");
  REQUIRE_MESSAGE(in_cluster.ok(), (in_cluster.ok() ? "" : in_cluster.error().message));
  CHECK(json::parse(AsJson(*in_cluster))["spec"]["template"]["spec"]["containers"]["lms"]["image"] == "openedx/lms:v2.2.0");
  // An exec plugin (EKS, GKE) is refused with what to do instead.
  f.dir.write("exec-kubeconfig",
              "apiVersion: v1\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
              "users: [{name: u, user: {exec: {command: aws, args: [eks, get-token]}}}]\n"
              "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n");
  auto exec = ResolveKubeTarget(f.dir.file("exec-kubeconfig"), "");
  REQUIRE_FALSE(exec.ok());
  CHECK(exec.error().message == "kubeconfig " + f.dir.file("exec-kubeconfig") +
                                    ": user 'u' gets its credentials from an exec plugin, which drift does not run; "
                                    "give it a token (tokenFile) or a client certificate");
}

TEST_CASE("kubernetes: Secrets decoded and redacted, ConfigMap files parsed as documents by extension") {
  Fleet f;
  f.api.Add("prod", json::parse(R"({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
    "metadata": {"name": "lms-secrets", "namespace": "lms"},
    "data": {"DB_PASSWORD": "aHVudGVyMg==", "app.json": "eyJqd2siOiAicHJpdmF0ZSJ9"}})"));
  f.api.Add("prod", json::parse(R"({"apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "lms-config", "namespace": "lms"},
    "data": {"lms.yml": "FEATURES:\n  ENABLE_X: true\n  COURSES: [a, b]\nLMS_BASE: lms.example.org\n",
             "LOG_LEVEL": "info", "broken.json": "{not json"}})"));
  auto secret = f.Build(", kind: Secret, name: lms-secrets", "prod");
  CHECK(secret->collector->redact_all());
  // However the kind is spelled, a Secret is decoded and redacted.
  CHECK(f.Build(", kind: SECRETS, api_version: v1, name: lms-secrets", "prod")->collector->redact_all());
  auto s = secret->Collect();
  REQUIRE(s.ok());
  auto sj = json::parse(AsJson(*s));
  CHECK(sj["data"]["DB_PASSWORD"] == "hunter2");  // compared decoded; shown only as fingerprints
  CHECK(sj["data"]["app.json"] == json({{"jwk", "private"}}));
  auto cm = f.Build(", kind: ConfigMap, name: lms-config", "prod");
  CHECK_FALSE(cm->collector->redact_all());
  auto c = cm->Collect();
  REQUIRE(c.ok());
  auto cj = json::parse(AsJson(*c));
  CHECK(cj["data"]["lms.yml"] == json::parse(R"({"FEATURES": {"ENABLE_X": true, "COURSES": ["a", "b"]}, "LMS_BASE": "lms.example.org"})"));
  CHECK(cj["data"]["LOG_LEVEL"] == "info");        // no extension: a string, no warning
  CHECK(cj["data"]["broken.json"] == "{not json");  // does not parse: a string and a warning
  CHECK(c->warnings() == std::vector<std::string>{
                             "embedded s.data[\"broken.json\"] is not valid json (line 1, column 3); compared as a string"});
}

TEST_CASE("kubernetes: selector maps objects by name with one LIST, and sources of one collection share a LIST") {
  Fleet f;
  f.api.Add("prod", Deployment("worker", "openedx/lms:v2.3.0"));
  f.api.cluster("prod").uid_seed = "x";
  auto all = f.Build(", kind: Deployment, selector: {tier: web}", "prod");
  int lists = f.api.cluster("prod").lists;
  auto doc = all->Collect();
  REQUIRE(doc.ok());
  auto j = json::parse(AsJson(*doc));
  std::vector<std::string> names;
  for (auto& [k, v] : j.items()) names.push_back(k);
  CHECK(names == std::vector<std::string>{"cms", "lms", "worker"});
  CHECK(j["lms"]["kind"] == "Deployment");  // items of a LIST read like GETs
  CHECK(j["lms"]["apiVersion"] == "apps/v1");
  CHECK(f.api.cluster("prod").lists - lists == 1);
  auto none = f.Build(", kind: Deployment, selector: \"app in (nothing)\"", "prod")->Collect();
  CHECK(AsJson(*none) == "{}");
  // Three sources of one collection on one runtime: one GET, then one LIST answers the rest.
  auto a = f.Build(", kind: Deployment, name: lms", "prod");
  auto b = f.Build(", kind: Deployment, name: cms", "prod");
  auto c = f.Build(", kind: Deployment, name: worker", "prod");
  auto d = f.Build(", kind: Deployment, name: gone", "prod");
  Executor pool(2);
  Runtime rt(8, 8, pool);
  int before = f.api.cluster("prod").requests;
  const Collector* list[] = {a->collector.get(), b->collector.get(), c->collector.get(), d->collector.get()};
  auto results = CollectAll(rt, list, 8);
  CHECK(f.api.cluster("prod").requests - before == 2);
  REQUIRE(results[0].ok());
  REQUIRE(results[2].ok());
  CHECK(json::parse(AsJson(*results[2]))["metadata"]["name"] == "worker");
  CHECK(results[3]->root() == kNoNode);
  // RBAC with get but not list: the LIST is refused, every source gets its object by GET.
  f.api.cluster("stage").list_forbidden.insert("deployments");
  auto sa = f.Build(", kind: Deployment, name: lms", "stage");
  auto sb = f.Build(", kind: Deployment, name: cms", "stage");
  auto sc = f.Build(", kind: Deployment, name: gone", "stage");
  Runtime rt2(8, 8, pool);
  const Collector* stage[] = {sa->collector.get(), sb->collector.get(), sc->collector.get()};
  auto got = CollectAll(rt2, stage, 8);
  REQUIRE_MESSAGE(got[1].ok(), (got[1].ok() ? "" : got[1].error().message));
  CHECK(json::parse(AsJson(*got[1]))["metadata"]["name"] == "cms");
  REQUIRE(got[2].ok());
  CHECK(got[2]->root() == kNoNode);
}

TEST_CASE("kubernetes: kinds drift does not know are found in the server's discovery documents") {
  Fleet f;
  f.api.Add("prod", json::parse(R"({"apiVersion": "example.com/v1", "kind": "Widget",
    "metadata": {"name": "w", "namespace": "lms"}, "spec": {"size": 3}})"));
  auto w = f.Build(", kind: Widget, api_version: example.com/v1, name: w", "prod")->Collect();
  REQUIRE_MESSAGE(w.ok(), (w.ok() ? "" : w.error().message));
  CHECK(json::parse(AsJson(*w))["spec"]["size"] == 3);
  auto typo = f.Build(", kind: Widgte, api_version: example.com/v1, name: w", "prod")->Collect();
  CHECK(typo.error().message.starts_with("the API server serves no kind 'Widgte' in example.com/v1 (did you mean 'Widget'?)"));
  // Without api_version an unknown kind is a config error, positioned.
  auto bad = BuildCollector(f.dir, "{type: kubernetes, kind: Widget, name: w}");
  CHECK_FALSE(bad->collector);
  CHECK(bad->diags.Sorted().at(0).message == "kind 'Widget' is not one drift knows; give its api_version");
  auto both = BuildCollector(f.dir, "{type: kubernetes, kind: Deployment, name: w, selector: a=b}");
  CHECK(both->diags.Sorted().at(0).message ==
        "a kubernetes source has name: (one object) or selector: (a map of objects), not both");
}

// 200 sources of one collection: one GET, then one LIST of large objects answers the rest,
// and every collection completes.
TEST_CASE("kubernetes: many sources answered by one large LIST all complete") {
  TempDir dir;
  FakeKubeApi api(dir.path(), {"prod"});
  std::string kubeconfig = api.WriteKubeconfig(dir.file("kubeconfig"), "lms");
  std::string file;
  for (int i = 0; i < 2000; ++i) file += "KEY_" + std::to_string(i) + ": value-" + std::to_string(i) + "\n";
  for (int i = 0; i < 200; ++i)
    api.Add("prod", json{{"apiVersion", "v1"}, {"kind", "ConfigMap"},
                         {"metadata", {{"name", "cm-" + std::to_string(i)}, {"namespace", "lms"}}},
                         {"data", {{"app.yml", file}}}});
  std::vector<std::unique_ptr<testing::BuiltCollector>> built;
  std::vector<const Collector*> list;
  for (int i = 0; i < 200; ++i) {
    built.push_back(BuildCollector(dir, "{type: kubernetes, kubeconfig: " + kubeconfig +
                                            ", context: prod, kind: ConfigMap, name: cm-" + std::to_string(i) + "}",
                                   "prod"));
    list.push_back(built.back()->collector.get());
  }
  Executor pool(2);
  Runtime rt(32, 8, pool);
  auto done = std::async(std::launch::async, [&] { return CollectAll(rt, list, 32); });
  REQUIRE(done.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  auto results = done.get();
  for (auto& r : results) REQUIRE(r.ok());
  CHECK(json::parse(AsJson(*results[7]))["data"]["app.yml"]["KEY_1999"] == "value-1999");
  CHECK(api.cluster("prod").requests <= 4);
}

// kubectl, against the same server and kubeconfig, sees what drift reads: the fake server
// speaks the API as clients expect it (discovery, auth, objects, lists, Status errors).
TEST_CASE("kubernetes: kubectl agrees with the loopback API server") {
  if (std::system("kubectl version --client >/dev/null 2>&1") != 0) {
    MESSAGE("kubectl is not installed: skipped");
    return;
  }
  Fleet f;
  auto kubectl = [&](const std::string& args, int& code, const std::string& kubeconfig = "") {
    std::string cmd = "HOME=" + f.dir.path() + " kubectl --kubeconfig " + (kubeconfig.empty() ? f.kubeconfig : kubeconfig) +
                      " --cache-dir " + f.dir.file("kcache") + " " + args + " 2>&1";
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    code = WEXITSTATUS(pclose(p));
    return out;
  };
  int code = 0;
  auto out = kubectl("--context stage get deployment lms -o json", code);
  REQUIRE_MESSAGE(code == 0, out);
  auto by_kubectl = json::parse(out);
  auto by_drift = f.Build(", kind: Deployment, name: lms, keep_server_fields: true", "stage")->Collect();
  REQUIRE(by_drift.ok());
  CHECK(by_kubectl["metadata"]["uid"] == json::parse(AsJson(*by_drift))["metadata"]["uid"]);
  CHECK(by_kubectl["spec"]["template"]["spec"]["containers"][0]["image"] == "openedx/lms:v2.4.0");
  // A list with a label selector, through paging.
  out = kubectl("--context prod get deploy -l 'tier=web' -o jsonpath='{.items[*].metadata.name}' --chunk-size 1", code);
  CHECK(code == 0);
  CHECK(out == "cms lms");
  // 404 as kubectl words it.
  out = kubectl("--context sandbox get deployment lms", code);
  CHECK(code == 1);
  INFO(out);
  CHECK(out.find("Error from server (NotFound): deployments.apps \"lms\" not found") != std::string::npos);
  // 403.
  f.api.cluster("stage").forbidden.insert("configmaps");
  out = kubectl("--context stage get configmap x", code);
  CHECK(code == 1);
  CHECK(out.find("Error from server (Forbidden): configmaps \"x\" is forbidden") != std::string::npos);
  // Client certificates, and a CA that does not match.
  out = kubectl("--context prod get deployment cms -o name", code, f.api.WriteKubeconfig(f.dir.file("kc-cert"), "lms", true));
  CHECK(code == 0);
  CHECK(out == "deployment.apps/cms\n");
  out = kubectl("--context prod get deployment cms -o name", code,
                f.api.WriteKubeconfig(f.dir.file("kc-other"), "lms", false, f.dir.file("other-ca.crt")));
  CHECK(code == 1);
  CHECK(out.find("certificate signed by unknown authority") != std::string::npos);
  // A CRD through discovery.
  f.api.Add("prod", json::parse(R"({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "lms"}})"));
  out = kubectl("--context prod get widgets -o name", code);
  CHECK(code == 0);
  CHECK(out == "widget.example.com/w\n");
}

}  // namespace
}  // namespace drift
