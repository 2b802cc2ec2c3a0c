#include "collectors/kube_api.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>
#include <random>

#include "collectors/runtime.h"
#include "core/parse.h"
#include "core/strings.h"

namespace drift {

namespace {

struct KnownKind {
  const char* kind;
  const char* group_version;
  const char* plural;
  bool namespaced;
  const char* short_names;  // kubectl's, space-separated
};

constexpr KnownKind kKnownKinds[] = {
    {"Pod", "v1", "pods", true, "po"},
    {"Service", "v1", "services", true, "svc"},
    {"ConfigMap", "v1", "configmaps", true, "cm"},
    {"Secret", "v1", "secrets", true, ""},
    {"ServiceAccount", "v1", "serviceaccounts", true, "sa"},
    {"PersistentVolumeClaim", "v1", "persistentvolumeclaims", true, "pvc"},
    {"PersistentVolume", "v1", "persistentvolumes", false, "pv"},
    {"Namespace", "v1", "namespaces", false, "ns"},
    {"Node", "v1", "nodes", false, "no"},
    {"Endpoints", "v1", "endpoints", true, "ep"},
    {"LimitRange", "v1", "limitranges", true, "limits"},
    {"ResourceQuota", "v1", "resourcequotas", true, "quota"},
    {"ReplicationController", "v1", "replicationcontrollers", true, "rc"},
    {"Deployment", "apps/v1", "deployments", true, "deploy"},
    {"StatefulSet", "apps/v1", "statefulsets", true, "sts"},
    {"DaemonSet", "apps/v1", "daemonsets", true, "ds"},
    {"ReplicaSet", "apps/v1", "replicasets", true, "rs"},
    {"ControllerRevision", "apps/v1", "controllerrevisions", true, ""},
    {"Job", "batch/v1", "jobs", true, ""},
    {"CronJob", "batch/v1", "cronjobs", true, "cj"},
    {"Ingress", "networking.k8s.io/v1", "ingresses", true, "ing"},
    {"NetworkPolicy", "networking.k8s.io/v1", "networkpolicies", true, "netpol"},
    {"IngressClass", "networking.k8s.io/v1", "ingressclasses", false, ""},
    {"PodDisruptionBudget", "policy/v1", "poddisruptionbudgets", true, "pdb"},
    {"HorizontalPodAutoscaler", "autoscaling/v2", "horizontalpodautoscalers", true, "hpa"},
    {"Role", "rbac.authorization.k8s.io/v1", "roles", true, ""},
    {"RoleBinding", "rbac.authorization.k8s.io/v1", "rolebindings", true, ""},
    {"ClusterRole", "rbac.authorization.k8s.io/v1", "clusterroles", false, ""},
    {"ClusterRoleBinding", "rbac.authorization.k8s.io/v1", "clusterrolebindings", false, ""},
};

// Retries: 200 ms, 400 ms … doubling up to 6.4 s, ±25%; at most kMaxTries tries.
constexpr double kFirstRetryMs = 200;
constexpr int kMaxTries = 5;
constexpr int kPageSize = 250;


// The API's own words for a failure (a Status object's message), when the body is one.
std::string StatusMessage(const std::string& body, std::string* reason = nullptr,
                          std::string* details_name = nullptr) {
  if (body.size() > (1u << 16)) return "";
  auto j = nlohmann::json::parse(body, nullptr, false);
  // Whatever the server sent, only strings are read (a wrong type is no Status).
  auto str = [](const nlohmann::json& o, const char* k) {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (!j.is_object() || str(j, "kind") != "Status") return "";
  if (reason) *reason = str(j, "reason");
  if (details_name)
    if (auto d = j.find("details"); d != j.end() && d->is_object()) *details_name = str(*d, "name");
  return str(j, "message");
}

}  // namespace

std::string KubeResource::CollectionPath(const std::string& ns) const {
  std::string p = group_version == "v1" ? "/api/v1" : "/apis/" + group_version;
  if (namespaced && !ns.empty()) p += "/namespaces/" + UrlEncode(ns);
  return p + "/" + plural;
}

const KubeResource* FindKnownKind(std::string_view kind, std::string_view api_version) {
  static const std::vector<KubeResource> resources = [] {
    std::vector<KubeResource> out;
    for (const auto& k : kKnownKinds) out.push_back(KubeResource{k.kind, k.group_version, k.plural, k.namespaced});
    return out;
  }();
  std::string want = ToLower(kind);
  for (size_t i = 0; i < std::size(kKnownKinds); ++i) {
    const auto& k = kKnownKinds[i];
    bool match = want == ToLower(k.kind) || want == k.plural;
    for (std::string_view s = k.short_names; !match && !s.empty();) {
      size_t sp = std::min(s.find(' '), s.size());
      match = want == s.substr(0, sp);
      s.remove_prefix(std::min(sp + 1, s.size()));
    }
    if (match && (api_version.empty() || api_version == k.group_version)) return &resources[i];
  }
  return nullptr;
}

std::vector<std::string_view> KnownKindNames() {
  std::vector<std::string_view> out;
  for (const auto& k : kKnownKinds) out.push_back(k.kind);
  return out;
}

struct KubeApi::Impl {
  using Clock = std::chrono::steady_clock;
  using Respond = std::function<void(HttpResponse)>;

  struct Server {
    Clock::time_point next_free{};  // the token bucket, as the time the next request may go
  };
  struct ListWaiter {
    std::function<void(Result<std::shared_ptr<const KubeList>>)> done;
  };
  // One collection (with a label selector) of one server as one identity sees it.
  struct Collection {
    std::set<std::string> names;  // names asked for one by one (counts up to 2)
    std::shared_ptr<const KubeList> list;
    Clock::time_point listed_at{};
    bool listing = false;
    bool list_forbidden = false;  // RBAC allows get but not list: one GET per object
    std::vector<ListWaiter> waiters;
  };
  struct Resources {
    std::vector<KubeResource> list;
    bool loaded = false;
  };

  Runtime& rt;
  KubeApi& api;
  std::map<std::string, Server> servers;
  std::map<std::string, Collection> collections;  // identity + path + selector
  std::map<std::string, Resources> discovery;     // identity + group/version

  Impl(Runtime& r, KubeApi& a) : rt(r), api(a) {}

  // A GET of `path` (query included) on the target's server, paced to `qps` and retried on
  // 429/5xx/transport failures while the deadline allows.
  void Send(const KubeTarget& t, const std::string& path, const KubeBudget& b, Respond done,
            int tries = 0) {
    using namespace std::chrono;
    Server& s = servers[t.server];
    auto now = Clock::now();
    // A bucket of one second's worth of requests: idle time earns at most `qps` of them.
    auto gap = duration_cast<Clock::duration>(duration<double>(1.0 / std::max(1, b.qps)));
    auto earliest = now - gap * std::max(1, b.qps);
    auto at = std::max(s.next_free, earliest);
    if (at >= b.deadline) {  // the wait alone would outlast the collection
      HttpResponse r;
      r.error = "timed out waiting for the API server's rate limit (qps " + std::to_string(b.qps) + ")";
      r.error_kind = ErrorKind::kTimeout;
      return done(std::move(r));
    }
    s.next_free = at + gap;
    auto go = [this, t, path, b, done = std::move(done), tries]() mutable {
      HttpRequest req;
      req.url = t.server + path;
      req.headers["Accept"] = "application/json";
      if (!t.token.empty()) req.headers["Authorization"] = "Bearer " + t.token;
      req.username = t.username;
      req.password = t.password;
      req.ca_file = t.ca_file;
      req.ca_pem = t.ca_pem;
      req.cert_file = t.cert_file;
      req.cert_pem = t.cert_pem;
      req.key_file = t.key_file;
      req.key_pem = t.key_pem;
      req.insecure = t.insecure;
      req.max_size = b.max_size;
      auto left = duration_cast<milliseconds>(b.deadline - Clock::now());
      if (left <= milliseconds(0)) {
        HttpResponse r;
        r.error = "timed out waiting for the API server's rate limit (qps " + std::to_string(b.qps) + ")";
        r.error_kind = ErrorKind::kTimeout;
        return done(std::move(r));
      }
      req.timeout = left;
      ++api.requests_;
      rt.http().Send(req, [this, t, path, b, done = std::move(done), tries](HttpResponse r) mutable {
        bool retry = tries + 1 < kMaxTries &&
                     (r.retryable || r.status == 429 || (r.status >= 500 && r.status <= 599));
        if (retry) {
          static thread_local std::mt19937 rng{std::random_device{}()};
          double base = kFirstRetryMs * (1 << std::min(tries, 5));
          double ms = std::uniform_real_distribution<double>(base * 0.75, base * 1.25)(rng);
          if (r.retry_after_s >= 0) ms = static_cast<double>(r.retry_after_s) * 1000.0;
          double left_ms = duration<double, std::milli>(b.deadline - Clock::now()).count();
          if (ms + 100 < left_ms) {
            auto timer = std::make_shared<boost::asio::steady_timer>(rt.io());
            timer->expires_after(milliseconds(static_cast<long>(ms)));
            timer->async_wait([this, t, path, b, done = std::move(done), tries,
                               timer](boost::system::error_code) mutable {
              Send(t, path, b, std::move(done), tries + 1);
            });
            return;
          }
        }
        done(std::move(r));
      });
    };
    if (at <= now) return go();
    auto timer = std::make_shared<boost::asio::steady_timer>(rt.io());
    timer->expires_at(at);
    timer->async_wait([go = std::move(go), timer](boost::system::error_code) mutable { go(); });
  }

  static Error Failure(const KubeTarget& t, const std::string& path, const HttpResponse& r) {
    std::string where = " (GET " + t.server + path + ")";
    if (!r.error.empty()) {
      Error e = MakeError(r.error + where);
      e.kind = r.error_kind;
      return e;
    }
    std::string words = StatusMessage(r.body);
    std::string what = r.status == 401 ? "unauthorized: the API server does not accept the credentials of context '" + t.context + "'"
                     : r.status == 403 ? "forbidden"
                                       : "HTTP " + std::to_string(r.status);
    return MakeError(what + (words.empty() ? "" : ": " + words) + where);
  }

  // Parses a JSON answer off the io thread; `done` runs back on it.
  void ParseJson(std::string body, std::string origin,
                 std::function<void(Result<std::shared_ptr<Document>>)> done) {
    rt.Blocking([this, body = std::move(body), origin = std::move(origin), done = std::move(done)]() mutable {
      ParseOptions po;
      po.format = Format::kJson;
      po.origin = origin;
      auto doc = ParseDocument(body, po);
      Result<std::shared_ptr<Document>> out =
          doc.ok() ? Result<std::shared_ptr<Document>>(std::make_shared<Document>(std::move(*doc)))
                   : Result<std::shared_ptr<Document>>(doc.error());
      boost::asio::post(rt.io(), [done = std::move(done), out = std::move(out)]() mutable { done(std::move(out)); });
    });
  }

  // --- LIST, shared ---

  void StartList(const KubeTarget& t, const std::string& collection, const std::string& selector,
                 const KubeBudget& b, const std::string& key) {
    Collection& c = collections[key];
    c.listing = true;
    auto acc = std::make_shared<KubeList>();
    Page(t, collection, selector, b, key, acc, "");
  }

  void Page(const KubeTarget& t, const std::string& collection, const std::string& selector,
            const KubeBudget& b, const std::string& key, std::shared_ptr<KubeList> acc,
            const std::string& cont) {
    std::string path = collection + "?limit=" + std::to_string(kPageSize);
    if (!selector.empty()) path += "&labelSelector=" + UrlEncode(selector);
    if (!cont.empty()) path += "&continue=" + UrlEncode(cont);
    Send(t, path, b, [this, t, collection, selector, b, key, acc, path](HttpResponse r) {
      if (!r.error.empty() || r.status != 200) {
        // Lists this identity may not make, or too large to take: one GET per object instead.
        if (selector.empty() && ((r.error.empty() && r.status == 403) || r.error_kind == ErrorKind::kTooLarge))
          collections[key].list_forbidden = true;
        return FinishList(key, Failure(t, path, r));
      }
      ParseJson(std::move(r.body), t.server + collection,
                [this, t, collection, selector, b, key, acc, path](Result<std::shared_ptr<Document>> doc) {
        if (!doc.ok()) return FinishList(key, MakeError(doc.error().message + " (GET " + t.server + path + ")"));
        std::shared_ptr<const Document> d = *doc;
        NodeId root = d->root();
        if (d->type(root) != Type::kMap) return FinishList(key, MakeError("not a list (GET " + t.server + path + ")"));
        std::string kind, api_version, next;
        if (NodeId k = d->find(root, "kind"); k != kNoNode && d->type(k) == Type::kString) kind = d->str(k);
        NodeId items = d->find(root, "items");
        // Anything else answering 200 (a proxy's page) must not read as "every object gone".
        if (!kind.ends_with("List") || items == kNoNode || d->type(items) != Type::kList)
          return FinishList(key, MakeError("not a Kubernetes list (GET " + t.server + path + ")"));
        kind.resize(kind.size() - 4);
        if (NodeId v = d->find(root, "apiVersion"); v != kNoNode && d->type(v) == Type::kString)
          api_version = d->str(v);
        if (NodeId m = d->find(root, "metadata"); m != kNoNode && d->type(m) == Type::kMap)
          if (NodeId c = d->find(m, "continue"); c != kNoNode && d->type(c) == Type::kString) next = d->str(c);
        for (const Entry& e : d->children(items)) {
          std::string name;
          if (d->type(e.value) != Type::kMap) continue;
          if (NodeId m = d->find(e.value, "metadata"); m != kNoNode && d->type(m) == Type::kMap)
            if (NodeId n = d->find(m, "name"); n != kNoNode && d->type(n) == Type::kString) name = d->str(n);
          if (name.empty()) continue;
          acc->items.emplace_back(name, KubeObject{d, e.value, kind, api_version});
        }
        if (!next.empty()) return Page(t, collection, selector, b, key, acc, next);
        FinishList(key, std::shared_ptr<const KubeList>(acc));
      });
    });
  }

  void FinishList(const std::string& key, Result<std::shared_ptr<const KubeList>> result) {
    Collection& c = collections[key];
    c.listing = false;
    auto waiters = std::move(c.waiters);
    c.waiters.clear();
    if (result.ok()) {
      c.list = *result;
      c.listed_at = Clock::now();
    }
    for (auto& w : waiters) w.done(result);
  }

  void List(const KubeTarget& t, const std::string& collection, const std::string& selector,
            const KubeBudget& b, std::function<void(Result<std::shared_ptr<const KubeList>>)> done) {
    Sweep(b.max_age);
    std::string key = t.identity + " " + collection + "?" + selector;
    Collection& c = collections[key];
    if (c.list && Clock::now() - c.listed_at <= b.max_age) return done(c.list);
    // A waiter joining a list another source started is still bound by its own timeout.
    auto once = std::make_shared<std::function<void(Result<std::shared_ptr<const KubeList>>)>>(std::move(done));
    auto timer = std::make_shared<boost::asio::steady_timer>(rt.io());
    timer->expires_at(b.deadline);
    timer->async_wait([once, collection, t](boost::system::error_code ec) {
      if (ec || !*once) return;
      Error e = MakeError("timed out waiting for the list of " + t.server + collection);
      e.kind = ErrorKind::kTimeout;
      auto d = std::move(*once);
      *once = nullptr;
      d(std::move(e));
    });
    c.waiters.push_back(ListWaiter{[once, timer](Result<std::shared_ptr<const KubeList>> r) {
      timer->cancel();
      if (!*once) return;
      auto d = std::move(*once);
      *once = nullptr;
      d(std::move(r));
    }});
    if (!c.listing) StartList(t, collection, selector, b, key);
  }

  // Lists older than anyone may use go: the daemon does not hold every object of a namespace
  // (its Secrets included) between rounds.
  void Sweep(std::chrono::milliseconds max_age) {
    auto now = Clock::now();
    for (auto& [key, c] : collections)
      if (c.list && !c.listing && now - c.listed_at > std::max(max_age, std::chrono::milliseconds(60'000)))
        c.list.reset();
  }

  // --- GET one ---

  void Get(const KubeTarget& t, const std::string& collection, const std::string& name,
           const KubeBudget& b, std::function<void(Result<KubeObject>)> done) {
    std::string key = t.identity + " " + collection + "?";
    Collection& c = collections[key];
    auto from_list = [this, t, collection, name, b, key, done](Result<std::shared_ptr<const KubeList>> l) {
      if (!l.ok()) {
        // A list that failed for a reason a GET may not have (a 5xx, a size limit, RBAC):
        // this object by itself. Timeouts and bad credentials would fail the GET too.
        bool hopeless = l.error().kind == ErrorKind::kTimeout || l.error().message.starts_with("unauthorized");
        if (!hopeless && Clock::now() < b.deadline) return GetOne(t, collection, name, b, done);
        return done(l.error());
      }
      for (const auto& [n, o] : (*l)->items)
        if (n == name) return done(o);
      done(KubeObject{});  // absent
    };
    if (c.list_forbidden) return GetOne(t, collection, name, b, std::move(done));
    bool fresh = c.list && Clock::now() - c.listed_at <= b.max_age;
    if (fresh || c.listing) return List(t, collection, "", b, from_list);
    if (c.names.size() < 2) c.names.insert(name);
    if (c.names.size() >= 2) return List(t, collection, "", b, from_list);
    GetOne(t, collection, name, b, std::move(done));
  }

  void GetOne(const KubeTarget& t, const std::string& collection, const std::string& name,
              const KubeBudget& b, std::function<void(Result<KubeObject>)> done) {
    std::string path = collection + "/" + UrlEncode(name);
    Send(t, path, b, [this, t, path, name, done](HttpResponse r) {
      if (r.error.empty() && r.status == 404) {
        std::string reason, details;
        std::string words = StatusMessage(r.body, &reason, &details);
        if (reason == "NotFound" && details == name) return done(KubeObject{});
        return done(MakeError("the API server does not serve this kind here" +
                              (words.empty() ? std::string() : ": " + words) + " (GET " + t.server + path + ")"));
      }
      if (!r.error.empty() || r.status != 200) return done(Failure(t, path, r));
      ParseJson(std::move(r.body), t.server + path, [done](Result<std::shared_ptr<Document>> doc) {
        if (!doc.ok()) return done(doc.error());
        std::shared_ptr<const Document> d = *doc;
        done(KubeObject{d, d->root(), "", ""});
      });
    });
  }

  // --- discovery of kinds the table does not know ---

  void Resolve(const KubeTarget& t, const std::string& kind, const std::string& gv,
               const KubeBudget& b, std::function<void(Result<KubeResource>)> done) {
    std::string key = t.identity + " " + gv;
    auto pick = [kind, gv](const std::vector<KubeResource>& list) -> Result<KubeResource> {
      std::string want = ToLower(kind);
      for (const auto& r : list)
        if (ToLower(r.kind) == want || r.plural == want) return r;
      std::vector<std::string_view> names;
      for (const auto& r : list) names.push_back(r.kind);
      return MakeError("the API server serves no kind '" + kind + "' in " + gv + DidYouMean(kind, names));
    };
    if (auto it = discovery.find(key); it != discovery.end() && it->second.loaded) {
      auto found = pick(it->second.list);
      if (found.ok()) return done(found);
      it->second.loaded = false;  // a CRD installed since: ask again
    }
    std::string path = gv == "v1" ? "/api/v1" : "/apis/" + gv;
    Send(t, path, b, [this, t, path, key, pick, gv, done](HttpResponse r) {
      if (r.error.empty() && r.status == 404)
        return done(MakeError("the API server does not serve " + gv + " (GET " + t.server + path + ")"));
      if (!r.error.empty() || r.status != 200) return done(Failure(t, path, r));
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      if (!j.is_object() || !j.contains("resources") || !j["resources"].is_array())
        return done(MakeError("not an API resource list (GET " + t.server + path + ")"));
      Resources& res = discovery[key];
      res.list.clear();
      for (const auto& item : j["resources"]) {
        if (!item.is_object()) continue;
        auto name = item.find("name"), kind = item.find("kind"), ns = item.find("namespaced");
        if (name == item.end() || !name->is_string() || kind == item.end() || !kind->is_string()) continue;
        std::string n = name->get<std::string>();
        if (n.empty() || n.find('/') != std::string::npos) continue;  // subresources
        bool namespaced = ns == item.end() || !ns->is_boolean() || ns->get<bool>();
        res.list.push_back(KubeResource{kind->get<std::string>(), gv, n, namespaced});
      }
      res.loaded = true;
      done(pick(res.list));
    });
  }
};

KubeApi::KubeApi(Runtime& runtime) : impl_(std::make_unique<Impl>(runtime, *this)) {}
KubeApi::~KubeApi() = default;

void KubeApi::Resolve(const KubeTarget& target, const std::string& kind,
                      const std::string& api_version, const KubeBudget& budget,
                      std::function<void(Result<KubeResource>)> done) {
  if (const KubeResource* k = FindKnownKind(kind, api_version)) return done(*k);
  if (api_version.empty())
    return done(MakeError("kind '" + kind + "' is not one drift knows; give its api_version"));
  impl_->Resolve(target, kind, api_version, budget, std::move(done));
}

void KubeApi::Get(const KubeTarget& target, const std::string& collection, const std::string& name,
                  const KubeBudget& budget, std::function<void(Result<KubeObject>)> done) {
  impl_->Get(target, collection, name, budget, std::move(done));
}

void KubeApi::List(const KubeTarget& target, const std::string& collection,
                   const std::string& selector, const KubeBudget& budget,
                   std::function<void(Result<std::shared_ptr<const KubeList>>)> done) {
  impl_->List(target, collection, selector, budget, std::move(done));
}

}  // namespace drift
