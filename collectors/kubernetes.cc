// type: kubernetes (SPEC §2.1) — objects read from the API server itself: one object by
// `name` or a name -> object map by `selector`, with the fields the server writes removed,
// the lists the API merges by name keyed by name, Secrets decoded (and redacted), and
// ConfigMap/Secret data values parsed as documents by their key's extension.
#include <boost/asio/post.hpp>
#include <cstdio>

#include "collectors/builtin.h"
#include "collectors/kube_api.h"
#include "collectors/kube_shape.h"
#include "collectors/kubeconfig.h"
#include "collectors/runtime.h"
#include "core/interpolate.h"
#include "core/strings.h"

namespace drift {

namespace {

struct KubeOptions {
  std::string kubeconfig;  // "" = $KUBECONFIG, ~/.kube/config, in-cluster
  std::string context;     // "" = the current context
  std::string kind, api_version, ns, name, selector;
  bool by_selector = false;  // no name: a map of every (matching) object
  bool keep_server_fields = false;
  std::vector<Selector> strip;
  int qps = 20;
  uint64_t max_size = kDefaultMaxFileSize;  // one answer (a LIST page may be large)
};

class KubernetesCollector final : public Collector {
 public:
  KubernetesCollector(KubeOptions o, CommonOptions c, std::string dir)
      : Collector(std::move(c)), o_(std::move(o)), dir_(std::move(dir)) {
    shape_ = KubeShape{o_.kind, o_.by_selector, o_.keep_server_fields, o_.strip, common_.source};
    shown_ = "kubernetes " + (o_.context.empty() ? std::string("(current context)") : o_.context) + " " +
             (o_.ns.empty() ? "" : o_.ns + "/") + o_.kind +
             (o_.by_selector ? (o_.selector.empty() ? " (all)" : " -l " + o_.selector) : " " + o_.name);
  }
  std::string describe() const override { return shown_; }
  bool redact_all() const override { return common_.decode_base64 || IsSecretKind(o_.kind); }

  void Start(Runtime& rt, CollectRequest request, Done done) const override {
    // The kubeconfig and token files are read now (credentials rotate), off the io thread.
    rt.Blocking([this, &rt, request = std::move(request), done = std::move(done)]() mutable {
      auto kubeconfig = ResolveSecretRefs(o_.kubeconfig, dir_);
      auto context = ResolveSecretRefs(o_.context, dir_);
      Result<KubeTarget> target = !kubeconfig.ok() ? Result<KubeTarget>(kubeconfig.error())
                                  : !context.ok()  ? Result<KubeTarget>(context.error())
                                                   : ResolveKubeTarget(*kubeconfig, *context);
      boost::asio::post(rt.io(), [this, &rt, target = std::move(target), request = std::move(request),
                                  done = std::move(done)]() mutable {
        if (!target.ok()) return done(target.error());
        Read(rt, std::move(*target), std::move(request), std::move(done));
      });
    });
  }

 private:
  void Read(Runtime& rt, KubeTarget t, CollectRequest request, Done done) const {
    KubeBudget budget;
    budget.deadline = std::chrono::steady_clock::now() + common_.timeout;
    budget.qps = o_.qps;
    budget.max_size = o_.max_size;
    budget.max_age = std::chrono::duration_cast<std::chrono::milliseconds>(common_.interval / 4);
    std::string ns = !o_.ns.empty() ? o_.ns : !t.namespace_.empty() ? t.namespace_ : "default";
    rt.kube().Resolve(t, o_.kind, o_.api_version, budget,
                      [this, &rt, t, ns, budget, request = std::move(request),
                       done = std::move(done)](Result<KubeResource> res) mutable {
      if (!res.ok()) {
        Error e = res.error();
        e.message += " (" + shown_ + ")";
        return done(std::move(e));
      }
      std::string collection = res->CollectionPath(ns);
      if (!o_.by_selector) {
        rt.kube().Get(t, collection, o_.name, budget,
                      [this, &rt, request, done](Result<KubeObject> obj) mutable {
          if (!obj.ok()) return done(obj.error());
          rt.Blocking([this, request, done, obj = std::move(*obj)] {
            done(Shape(std::vector<std::pair<std::string, KubeObject>>{{o_.name, obj}}, request));
          });
        });
        return;
      }
      rt.kube().List(t, collection, o_.selector, budget,
                     [this, &rt, request, done](Result<std::shared_ptr<const KubeList>> list) mutable {
        if (!list.ok()) return done(list.error());
        rt.Blocking([this, request, done, list = std::move(*list)] { done(Shape(list->items, request)); });
      });
    });
  }

  // The snapshot of the objects read (name mode: one, maybe absent).
  Result<Document> Shape(const std::vector<std::pair<std::string, KubeObject>>& objects,
                         const CollectRequest& request) const {
    Document out = ShapeKubeObjects(objects, shape_, shown_);
    // What was read decides the digest: an unchanged object costs no evaluation.
    char buf[24];
    std::snprintf(buf, sizeof buf, "k8s/%016llx",
                  static_cast<unsigned long long>(out.root() == kNoNode ? 0 : ContentHash(out, out.root())));
    std::string digest = buf;
    if (request.known_digest && *request.known_digest == digest) return Document::Unchanged(digest);
    auto doc = FinishSnapshot(std::move(out), common_);
    if (doc.ok() && request.known_digest) doc->set_raw_digest(digest);
    return doc;
  }

  KubeOptions o_;
  KubeShape shape_;
  std::string dir_;  // drift.yaml's directory (${file:} references)
  std::string shown_;
};

}  // namespace

std::unique_ptr<Collector> MakeKubernetesCollector(const YAML::Node& spec, const SourceContext& ctx,
                                                   YamlReader& r) {
  CommonOptions common = ReadCommonOptions(spec, ctx.config, r, ctx.source.name);
  KubeOptions o;
  bool ok = true;
  auto str = [&](const char* key, std::string& into) {
    auto v = Get(spec, key);
    if (!v.IsDefined()) return false;
    if (auto s = r.String(v, key)) {
      into = ctx.expand(*s);
      return true;
    }
    ok = false;
    return false;
  };
  // Relative to drift.yaml (a ${env:}/${file:} reference is resolved at collection time).
  if (str("kubeconfig", o.kubeconfig) && !o.kubeconfig.starts_with("${"))
    o.kubeconfig = ctx.config.Resolve(o.kubeconfig);
  str("context", o.context);
  str("api_version", o.api_version);
  str("namespace", o.ns);
  if (!str("kind", o.kind)) {
    if (ok) r.Error(spec, "a kubernetes source needs kind: (Deployment, ConfigMap, …)");
    ok = false;
  } else if (!FindKnownKind(o.kind, "") && o.api_version.empty()) {
    auto names = KnownKindNames();
    r.Error(Get(spec, "kind"), "kind '" + o.kind + "' is not one drift knows; give its api_version" +
                                   DidYouMean(o.kind, names));
    ok = false;
  } else if (const KubeResource* k = FindKnownKind(o.kind, o.api_version)) {
    o.kind = k->kind;  // deploy, deployments, SECRET -> Deployment, Secret
  }
  bool has_name = str("name", o.name);
  if (auto v = Get(spec, "selector"); v.IsDefined()) {
    if (has_name) {
      r.Error(v, "a kubernetes source has name: (one object) or selector: (a map of objects), not both");
      ok = false;
    } else if (v.IsMap()) {
      // {app: lms} is the label selector app=lms.
      std::vector<std::string> parts;
      for (auto it = v.begin(); it != v.end(); ++it) {
        auto val = r.String(it->second, "label value");
        if (!val) ok = false;
        else parts.push_back(it->first.Scalar() + "=" + ctx.expand(*val));
      }
      o.selector = Join(parts, ",");
    } else if (auto s = r.String(v, "selector")) {
      o.selector = ctx.expand(*s);
    } else {
      ok = false;
    }
  }
  o.by_selector = !has_name;
  if (has_name && o.name.empty()) {
    r.Error(Get(spec, "name"), "name must not be empty");
    ok = false;
  }
  if (auto v = Get(spec, "keep_server_fields"); v.IsDefined()) {
    if (auto b = r.Bool(v, "keep_server_fields")) o.keep_server_fields = *b;
    else ok = false;
  }
  if (auto v = Get(spec, "strip"); v.IsDefined()) {
    if (auto l = r.StringList(v, "strip", true)) {
      for (size_t i = 0; i < l->size(); ++i) {
        const YAML::Node at = v.IsSequence() ? v[i] : v;
        auto sel = Selector::Compile((*l)[i]);
        std::string first = (*l)[i].substr(0, (*l)[i].find_first_of(".["));
        if (!sel.ok()) {
          r.Error(at, sel.error().message);
          ok = false;
        } else if (first != ctx.source.name && first != "*" && first != "**") {
          r.Error(at, "strip selectors start with the source's name ('" + ctx.source.name + "." +
                          (*l)[i] + "'?)");
          ok = false;
        } else {
          o.strip.push_back(std::move(*sel));
        }
      }
    } else {
      ok = false;
    }
  }
  if (auto v = Get(spec, "qps"); v.IsDefined()) {
    if (auto n = r.Int(v, "qps", 1, 10000)) o.qps = static_cast<int>(*n);
    else ok = false;
  }
  if (auto v = Get(spec, "max_size"); v.IsDefined()) {
    if (auto n = r.Int(v, "max_size (bytes)", 1, kMaxSizeLimit)) o.max_size = *n;
    else ok = false;
  }
  if (!ok) return nullptr;
  // ConfigMap and Secret data values are documents when their key has an extension.
  std::string kind_lower = ToLower(o.kind);
  if (kind_lower == "configmap" || kind_lower == "secret") {
    std::string sel = ctx.source.name + (o.by_selector ? ".*" : "") + ".data.*";
    if (auto s = Selector::Compile(sel); s.ok()) {
      common.embedded.insert(common.embedded.begin(), std::move(*s));
      ++common.implicit_embedded;
    }
  }
  return std::make_unique<KubernetesCollector>(std::move(o), std::move(common), ctx.config.dir);
}

}  // namespace drift
