// A loopback Kubernetes API server for tests, the demo and benchmarks: one HTTPS server per
// cluster (certificates from `openssl`, a CA of its own), bearer-token and client-certificate
// authentication, the discovery documents (/api, /apis, /api/v1, /apis/G/V), objects by name,
// lists with label selectors and paging, and Status objects for 401, 403, 404 and 429 as the
// real API server writes them. Objects get the fields a real server adds (uid,
// resourceVersion, creationTimestamp, generation, managedFields, status), different in every
// cluster, so that drift's stripping is tested against what clusters really return. Tests
// check it is faithful by running kubectl against it.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/document.h"
#include "core/files.h"
#include "core/parse.h"
#include "tests/support/http_server.h"

namespace drift::testing {

// CA, server (127.0.0.1) and client certificates made with openssl in `dir`: ca.crt/ca.key,
// server.crt/server.key, client.crt/client.key (CN=drift), and other-ca.crt (a CA that
// signed nothing here, for verification failures).
inline bool MakeTestPki(const std::string& dir) {
  std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  std::string d = "'" + dir + "'";
  std::string script =
      "set -e; cd " + d + "; "
      "openssl req -x509 " + ec + " -keyout ca.key -out ca.crt -subj /CN=drift-test-ca -days 3650 2>/dev/null; "
      "openssl req -x509 " + ec + " -keyout other-ca.key -out other-ca.crt -subj /CN=other-ca -days 3650 2>/dev/null; "
      "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > server.ext; "
      "openssl req -new " + ec + " -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null; "
      "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 "
      "-extfile server.ext -out server.crt 2>/dev/null; "
      "printf 'extendedKeyUsage=clientAuth\\n' > client.ext; "
      "openssl req -new " + ec + " -keyout client.key -out client.csr -subj '/O=system:masters/CN=drift' 2>/dev/null; "
      "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 "
      "-extfile client.ext -out client.crt 2>/dev/null";
  return std::system(("sh -c \"" + script + "\"").c_str()) == 0;
}

// What the fake API server knows of a kind.
struct FakeKind {
  std::string kind, group, version, plural;
  bool namespaced = true;
  std::string short_name;
  std::string gv() const { return group.empty() ? version : group + "/" + version; }
};

inline const std::vector<FakeKind>& FakeKinds() {
  static const std::vector<FakeKind> kinds = {
      {"ConfigMap", "", "v1", "configmaps", true, "cm"},
      {"Secret", "", "v1", "secrets", true, ""},
      {"Service", "", "v1", "services", true, "svc"},
      {"ServiceAccount", "", "v1", "serviceaccounts", true, "sa"},
      {"Namespace", "", "v1", "namespaces", false, "ns"},
      {"Deployment", "apps", "v1", "deployments", true, "deploy"},
      {"StatefulSet", "apps", "v1", "statefulsets", true, "sts"},
      {"CronJob", "batch", "v1", "cronjobs", true, "cj"},
      {"Ingress", "networking.k8s.io", "v1", "ingresses", true, "ing"},
      {"Widget", "example.com", "v1", "widgets", true, "wd"},  // a CRD: needs api_version
  };
  return kinds;
}

struct FakeCluster {
  std::string name;   // also the context name in the written kubeconfig
  std::string token;  // accepted bearer token; client certificates with CN=drift are too
  // apiVersion/kind -> namespace/name -> object (as served, server fields included)
  std::map<std::string, nlohmann::json> objects;  // key: plural + "/" + ns + "/" + name
  std::set<std::string> forbidden;                // plurals this identity may not read
  std::set<std::string> list_forbidden;           // plurals it may get but not list
  int throttle = 0;                               // the next N requests get 429 Retry-After: 1
  int latency_ms = 0;
  std::string uid_seed;
  std::atomic<int> requests{0};
  std::atomic<int> lists{0};
};

class FakeKubeApi {
 public:
  // `dir` holds the PKI (made here unless present) and the kubeconfig written by
  // WriteKubeconfig.
  FakeKubeApi(const std::string& dir, const std::vector<std::string>& clusters)
      : dir_(std::filesystem::absolute(dir).string()) {
    std::filesystem::create_directories(dir_);
    if (!std::filesystem::exists(dir_ + "/server.crt") && !MakeTestPki(dir_))
      throw std::runtime_error("openssl failed to make the test certificates in " + dir_);
    for (const auto& name : clusters) {
      auto c = std::make_unique<FakeCluster>();
      c->name = name;
      c->token = "token-" + name;
      c->uid_seed = name;
      FakeCluster* raw = c.get();
      servers_.push_back(std::make_unique<TestHttpServer>(
          [this, raw](const HttpCall& call) { return Handle(*raw, call); }, dir_ + "/server.crt",
          dir_ + "/server.key", 0, true, dir_ + "/ca.crt"));
      clusters_.push_back(std::move(c));
    }
  }

  FakeCluster& cluster(const std::string& name) {
    for (auto& c : clusters_)
      if (c->name == name) return *c;
    throw std::runtime_error("no fake cluster " + name);
  }
  std::string server(const std::string& name) const {
    for (size_t i = 0; i < clusters_.size(); ++i)
      if (clusters_[i]->name == name) return "https://127.0.0.1:" + std::to_string(servers_[i]->port());
    return "";
  }
  int requests() const {
    int n = 0;
    for (const auto& c : clusters_) n += c->requests;
    return n;
  }

  // Adds an object (JSON or YAML-as-JSON) to a cluster, with the fields a server writes.
  void Add(const std::string& cluster_name, nlohmann::json obj) {
    std::lock_guard<std::mutex> lock(mu_);
    FakeCluster& c = cluster(cluster_name);
    const FakeKind* k = KindOf(obj.value("kind", ""));
    if (!k) throw std::runtime_error("fake API server: unknown kind " + obj.value("kind", ""));
    auto& md = obj["metadata"];
    std::string ns = k->namespaced ? md.value("namespace", "default") : "";
    if (k->namespaced) md["namespace"] = ns;
    std::string name = md.value("name", "");
    ++version_;
    md["uid"] = Uid(c.uid_seed + "/" + k->plural + "/" + ns + "/" + name);
    md["resourceVersion"] = std::to_string(1000 + version_ * 7 + c.name.size());
    md["creationTimestamp"] = "2026-0" + std::to_string(1 + c.name.size() % 9) + "-14T10:2" +
                              std::to_string(version_ % 10) + ":00Z";
    nlohmann::json applied = obj;
    applied["metadata"].erase("uid");
    applied["metadata"].erase("resourceVersion");
    applied["metadata"].erase("creationTimestamp");
    md["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = applied.dump() + "\n";
    md["managedFields"] = nlohmann::json::array(
        {{{"manager", "kubectl-client-side-apply"}, {"operation", "Update"}, {"apiVersion", obj.value("apiVersion", "v1")},
          {"time", md["creationTimestamp"]}, {"fieldsType", "FieldsV1"}, {"fieldsV1", {{"f:metadata", nlohmann::json::object()}}}}});
    if (k->kind == "Deployment" || k->kind == "StatefulSet") {
      md["generation"] = 1 + version_ % 4;
      md["annotations"]["deployment.kubernetes.io/revision"] = std::to_string(1 + version_ % 5);
      int replicas = obj["spec"].value("replicas", 1);
      obj["status"] = {{"observedGeneration", md["generation"]}, {"replicas", replicas},
                       {"readyReplicas", replicas}, {"updatedReplicas", replicas},
                       {"conditions", nlohmann::json::array({{{"type", "Available"}, {"status", "True"},
                                                              {"lastUpdateTime", md["creationTimestamp"]}}})}};
    }
    c.objects[k->plural + "/" + ns + "/" + name] = std::move(obj);
  }

  // A kubeconfig with one context per cluster (cluster, user and context named after it),
  // namespace `ns`; users authenticate with a token, or with the client certificate when
  // `client_cert`; `ca` is the CA file clients verify the servers with.
  std::string WriteKubeconfig(const std::string& path, const std::string& ns,
                              bool client_cert = false, std::string ca = "") const {
    if (ca.empty()) ca = dir_ + "/ca.crt";
    std::ofstream out(path);
    out << "apiVersion: v1\nkind: Config\ncurrent-context: " << clusters_.front()->name << "\nclusters:\n";
    for (const auto& c : clusters_)
      out << "- name: " << c->name << "\n  cluster:\n    server: " << server(c->name)
          << "\n    certificate-authority: " << ca << "\n";
    out << "users:\n";
    for (const auto& c : clusters_) {
      out << "- name: " << c->name << "\n  user:\n";
      if (client_cert)
        out << "    client-certificate: " << dir_ << "/client.crt\n    client-key: " << dir_ << "/client.key\n";
      else
        out << "    token: " << c->token << "\n";
    }
    out << "contexts:\n";
    for (const auto& c : clusters_)
      out << "- name: " << c->name << "\n  context:\n    cluster: " << c->name << "\n    user: " << c->name
          << "\n    namespace: " << ns << "\n";
    return path;
  }

  // Every object of the manifests (*.yaml, *.yml; multi-document streams and `kind: List`
  // too) in `dir`, added to the cluster. Returns "" or what went wrong.
  std::string LoadManifests(const std::string& cluster_name, const std::string& dir) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      auto ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      auto text = ReadWholeFile(f.string());
      if (!text.ok()) return text.error().message;
      ParseOptions po;
      po.format = Format::kYaml;
      po.origin = f.string();
      auto doc = ParseDocument(*text, po);
      if (!doc.ok()) return doc.error().ToString();
      auto j = nlohmann::json::parse(DumpJson(ToJson(*doc, doc->root())));
      std::vector<nlohmann::json> objects;
      if (j.is_array()) objects.assign(j.begin(), j.end());
      else if (j.is_object() && j.value("kind", "") == "List") objects.assign(j["items"].begin(), j["items"].end());
      else objects.push_back(j);
      for (auto& o : objects) {
        if (o.is_null()) continue;
        try {
          Add(cluster_name, o);
        } catch (const std::exception& e) {
          return f.string() + ": " + e.what();
        }
      }
    }
    return "";
  }

  static const FakeKind* KindOf(const std::string& kind) {
    for (const auto& k : FakeKinds())
      if (k.kind == kind) return &k;
    return nullptr;
  }

 private:
  static std::string Uid(const std::string& seed) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char ch : seed) h = (h ^ ch) * 1099511628211ull;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(h >> 32),
                  static_cast<unsigned>(h >> 16) & 0xffff, static_cast<unsigned>(h >> 4) & 0xfff,
                  static_cast<unsigned>(h >> 8) & 0xfff, static_cast<unsigned long long>(h & 0xffffffffffffull));
    return buf;
  }

  static HttpReply Json(int code, const nlohmann::json& body, HttpReply::Headers h = {}) {
    return HttpReply(code, body.dump(), "application/json", std::move(h));
  }
  static HttpReply Status(int code, const std::string& reason, const std::string& message,
                          nlohmann::json details = nullptr, HttpReply::Headers h = {}) {
    nlohmann::json s = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
                        {"status", "Failure"}, {"message", message}, {"reason", reason}, {"code", code}};
    if (!details.is_null()) s["details"] = details;
    return Json(code, s, std::move(h));
  }

  static std::map<std::string, std::string> Query(const std::string& q) {
    std::map<std::string, std::string> out;
    size_t at = 0;
    while (at < q.size()) {
      size_t amp = std::min(q.find('&', at), q.size());
      std::string kv = q.substr(at, amp - at);
      size_t eq = kv.find('=');
      std::string k = kv.substr(0, eq), v = eq == std::string::npos ? "" : kv.substr(eq + 1);
      std::string dec;
      for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '%' && i + 2 < v.size()) {
          dec += static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          dec += v[i] == '+' ? ' ' : v[i];
        }
      }
      out[k] = dec;
      at = amp + 1;
    }
    return out;
  }

  // Label selectors: k=v, k==v, k!=v, k, !k, k in (a,b), k notin (a,b), comma-separated.
  static bool Matches(const nlohmann::json& obj, const std::string& selector) {
    nlohmann::json labels = obj["metadata"].value("labels", nlohmann::json::object());
    std::vector<std::string> terms;
    int depth = 0;
    std::string cur;
    for (char c : selector) {
      if (c == '(') ++depth;
      if (c == ')') --depth;
      if (c == ',' && depth == 0) {
        terms.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    if (!cur.empty()) terms.push_back(cur);
    auto trim = [](std::string s) {
      while (!s.empty() && s.front() == ' ') s.erase(0, 1);
      while (!s.empty() && s.back() == ' ') s.pop_back();
      return s;
    };
    for (auto t : terms) {
      t = trim(t);
      auto label = [&](const std::string& k) -> std::optional<std::string> {
        if (!labels.contains(k)) return std::nullopt;
        return labels[k].get<std::string>();
      };
      size_t p;
      if ((p = t.find(" notin ")) != std::string::npos || (p = t.find(" in ")) != std::string::npos) {
        bool notin = t.find(" notin ") != std::string::npos;
        std::string k = trim(t.substr(0, p));
        std::string set = t.substr(t.find('(') + 1, t.find(')') - t.find('(') - 1);
        std::set<std::string> vals;
        size_t a = 0;
        while (a <= set.size()) {
          size_t c = std::min(set.find(',', a), set.size());
          vals.insert(trim(set.substr(a, c - a)));
          a = c + 1;
        }
        auto v = label(k);
        bool in = v && vals.count(*v);
        if (notin ? in : !in) return false;
      } else if ((p = t.find("!=")) != std::string::npos) {
        auto v = label(trim(t.substr(0, p)));
        if (v && *v == trim(t.substr(p + 2))) return false;
      } else if ((p = t.find('=')) != std::string::npos) {
        size_t vs = t.compare(p, 2, "==") == 0 ? p + 2 : p + 1;
        auto v = label(trim(t.substr(0, p)));
        if (!v || *v != trim(t.substr(vs))) return false;
      } else if (!t.empty() && t[0] == '!') {
        if (label(trim(t.substr(1)))) return false;
      } else if (!t.empty() && !label(t)) {
        return false;
      }
    }
    return true;
  }

  HttpReply Handle(FakeCluster& c, const HttpCall& call) {
    ++c.requests;
    HttpReply r = Route(c, call);
    r.delay_ms = c.latency_ms;
    return r;
  }

  HttpReply Route(FakeCluster& c, const HttpCall& call) {
    std::lock_guard<std::mutex> lock(mu_);
    if (call.authorization != "Bearer " + c.token && call.client_cn != "drift")
      return Status(401, "Unauthorized", "Unauthorized");
    if (c.throttle > 0) {
      --c.throttle;
      return Status(429, "TooManyRequests", "the server has received too many requests and has asked us to try again later",
                    {{"retryAfterSeconds", 1}}, {{"Retry-After", "1"}});
    }
    std::string target = call.target;
    size_t q = target.find('?');
    auto query = Query(q == std::string::npos ? "" : target.substr(q + 1));
    std::string path = target.substr(0, q);
    std::vector<std::string> parts;
    for (size_t at = 1; at <= path.size();) {
      size_t sl = std::min(path.find('/', at), path.size());
      if (sl > at) parts.push_back(path.substr(at, sl - at));
      at = sl + 1;
    }
    if (path == "/version")
      return Json(200, {{"major", "1"}, {"minor", "29"}, {"gitVersion", "v1.29.0"}, {"platform", "linux/amd64"}});
    if (path == "/api")
      return Json(200, {{"kind", "APIVersions"}, {"versions", {"v1"}},
                        {"serverAddressByClientCIDRs", {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", "127.0.0.1"}}}}});
    if (path == "/apis") {
      nlohmann::json groups = nlohmann::json::array();
      std::set<std::string> seen;
      for (const auto& k : FakeKinds()) {
        if (k.group.empty() || !seen.insert(k.group).second) continue;
        nlohmann::json v = {{"groupVersion", k.gv()}, {"version", k.version}};
        groups.push_back({{"name", k.group}, {"versions", {v}}, {"preferredVersion", v}});
      }
      return Json(200, {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}});
    }
    // /api/v1/... or /apis/G/V/...
    size_t base;
    std::string group, version;
    if (parts.size() >= 2 && parts[0] == "api") {
      version = parts[1];
      base = 2;
    } else if (parts.size() >= 3 && parts[0] == "apis") {
      group = parts[1];
      version = parts[2];
      base = 3;
    } else {
      return Status(404, "NotFound", "the server could not find the requested resource");
    }
    std::string gv = group.empty() ? version : group + "/" + version;
    if (parts.size() == base) {
      nlohmann::json res = nlohmann::json::array();
      for (const auto& k : FakeKinds()) {
        if (k.gv() != gv) continue;
        nlohmann::json r = {{"name", k.plural}, {"singularName", ""}, {"namespaced", k.namespaced},
                            {"kind", k.kind}, {"verbs", {"get", "list", "watch"}}};
        if (!k.short_name.empty()) r["shortNames"] = {k.short_name};
        res.push_back(r);
      }
      if (res.empty()) return Status(404, "NotFound", "the server could not find the requested resource");
      return Json(200, {{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", gv}, {"resources", res}});
    }
    std::string ns;
    size_t at = base;
    if (parts.size() > at + 1 && parts[at] == "namespaces" && parts.size() >= at + 3) {
      ns = parts[at + 1];
      at += 2;
    }
    const FakeKind* kind = nullptr;
    for (const auto& k : FakeKinds())
      if (k.gv() == gv && k.plural == parts[at]) kind = &k;
    if (!kind) return Status(404, "NotFound", "the server could not find the requested resource");
    std::string qualified = kind->plural + (group.empty() ? "" : "." + group);
    if (c.forbidden.count(kind->plural) || (parts.size() == at + 1 && c.list_forbidden.count(kind->plural))) {
      std::string verb = parts.size() > at + 1 ? "get" : "list";
      return Status(403, "Forbidden",
                    qualified + (parts.size() > at + 1 ? " \"" + parts[at + 1] + "\"" : "") +
                        " is forbidden: User \"system:serviceaccount:drift:drift\" cannot " + verb +
                        " resource \"" + kind->plural + "\" in API group \"" + group + "\"" +
                        (ns.empty() ? " at the cluster scope" : " in the namespace \"" + ns + "\""),
                    {{"kind", kind->plural}, {"group", group}});
    }
    if (parts.size() > at + 1) {
      std::string name = parts[at + 1];
      auto it = c.objects.find(kind->plural + "/" + ns + "/" + name);
      if (it == c.objects.end())
        return Status(404, "NotFound", qualified + " \"" + name + "\" not found",
                      {{"name", name}, {"group", group}, {"kind", kind->plural}});
      return Json(200, it->second);
    }
    ++c.lists;
    std::string selector = query.count("labelSelector") ? query["labelSelector"] : "";
    std::vector<const nlohmann::json*> all;
    std::string prefix = kind->plural + "/" + ns + "/";
    for (const auto& [key, obj] : c.objects) {
      if (ns.empty() ? key.rfind(kind->plural + "/", 0) != 0 : key.rfind(prefix, 0) != 0) continue;
      if (Matches(obj, selector)) all.push_back(&obj);
    }
    size_t start = query.count("continue") ? std::stoul(query["continue"]) : 0;
    size_t limit = query.count("limit") ? std::stoul(query["limit"]) : all.size();
    nlohmann::json items = nlohmann::json::array();
    for (size_t i = start; i < all.size() && i < start + limit; ++i) {
      nlohmann::json item = *all[i];
      item.erase("kind");  // as the real server: items of a list carry neither
      item.erase("apiVersion");
      items.push_back(std::move(item));
    }
    nlohmann::json md = {{"resourceVersion", std::to_string(1000 + version_ * 7)}};
    if (start + limit < all.size()) md["continue"] = std::to_string(start + limit);
    return Json(200, {{"kind", kind->kind + "List"}, {"apiVersion", gv}, {"metadata", md}, {"items", items}});
  }

  std::string dir_;
  std::mutex mu_;
  int version_ = 0;
  std::vector<std::unique_ptr<FakeCluster>> clusters_;
  std::vector<std::unique_ptr<TestHttpServer>> servers_;
};

}  // namespace drift::testing
