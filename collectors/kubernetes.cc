// type: kubernetes (SPEC §2.1) — objects read from the API server itself: one object by
// `name` or a name -> object map by `selector`, with the fields the server writes removed,
// the lists the API merges by name keyed by name, Secrets decoded (and redacted), and
// ConfigMap/Secret data values parsed as documents by their key's extension.
#include <boost/asio/post.hpp>
#include <cstdio>

#include "collectors/builtin.h"
#include "collectors/kube_api.h"
#include "collectors/kubeconfig.h"
#include "collectors/runtime.h"
#include "core/crypto.h"
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

// The kind as the factory normalized it (FindKnownKind): `secrets`, `Secret` and `SECRET`
// are all Secrets.
bool IsSecretKind(const std::string& kind) {
  std::string k = kind;
  for (char& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return k == "secret" || k == "secrets";
}

// Lists the API merges by `name` (strategic merge patch keys): items pair by name.
bool MergesByName(std::string_view key) {
  static constexpr std::string_view kKeys[] = {"containers", "initContainers", "ephemeralContainers",
                                               "env",        "volumes",        "volumeMounts",
                                               "volumeDevices", "ports",       "imagePullSecrets"};
  for (auto k : kKeys)
    if (k == key) return true;
  return false;
}

// Fields the API server writes (SPEC §2.1): not what anyone deployed.
bool ServerMetadata(std::string_view key) {
  return key == "uid" || key == "resourceVersion" || key == "generation" ||
         key == "creationTimestamp" || key == "managedFields" || key == "selfLink";
}
bool ServerAnnotation(std::string_view key) {
  return key == "kubectl.kubernetes.io/last-applied-configuration" ||
         key == "deployment.kubernetes.io/revision" || key == "kubectl.kubernetes.io/restartedAt";
}

// Copies one object into the snapshot, shaped for comparing (see the file comment).
class Shaper {
 public:
  Shaper(const Document& in, Document& out, const KubeOptions& o) : in_(in), out_(out), o_(o) {}

  enum class At { kRoot, kRootMetadata, kMetadata, kAnnotations, kSecretData, kOther };

  NodeId Object(const KubeObject& obj, std::vector<Selector::State> states) {
    NodeId id = obj.node;
    if (in_.type(id) != Type::kMap) return out_.copy_from(in_, id);
    std::vector<Entry> extra;
    // Items of a LIST lack kind and apiVersion; a GET has them: the same object reads the same.
    if (!obj.api_version.empty() && in_.find(id, "apiVersion") == kNoNode)
      extra.push_back(Entry{out_.intern("apiVersion"), out_.add_string(obj.api_version)});
    if (!obj.list_kind.empty() && in_.find(id, "kind") == kNoNode)
      extra.push_back(Entry{out_.intern("kind"), out_.add_string(obj.list_kind)});
    secret_ = IsSecretKind(o_.kind);
    return Copy(id, At::kRoot, std::move(states), extra);
  }

  bool Alive(const std::vector<Selector::State>& states) const {
    for (auto s : states)
      if (s) return true;
    return false;
  }

  std::vector<Selector::State> Step(const std::vector<Selector::State>& states, const StepView& v) const {
    std::vector<Selector::State> next(states.size());
    for (size_t i = 0; i < states.size(); ++i) next[i] = states[i] ? o_.strip[i].Step(states[i], v) : 0;
    return next;
  }

  bool Stripped(const std::vector<Selector::State>& states) const {
    for (size_t i = 0; i < states.size(); ++i)
      if (states[i] && o_.strip[i].Accepts(states[i])) return true;
    return false;
  }

 private:
  NodeId Copy(NodeId id, At at, std::vector<Selector::State> states, std::vector<Entry> kids = {}) {
    const Node& n = in_.node(id);
    if (n.type == Type::kString && at == At::kSecretData) {
      auto d = DecodeBase64(in_.str(id));
      return out_.add_string(d ? *d : in_.str(id), n.line, n.column);
    }
    if (n.type == Type::kMap) {
      for (const Entry& e : in_.children(id)) {
        std::string_view k = in_.key(e.key);
        At child = At::kOther;
        if (!o_.keep_server_fields) {
          if (at == At::kRoot && k == "status") continue;
          if (at == At::kRootMetadata && ServerMetadata(k)) continue;
          if (at == At::kAnnotations && ServerAnnotation(k)) continue;
        }
        if (k == "metadata") child = at == At::kRoot ? At::kRootMetadata : At::kMetadata;
        else if ((at == At::kRootMetadata || at == At::kMetadata) && k == "annotations") child = At::kAnnotations;
        else if ((at == At::kRoot && secret_ && k == "data") || at == At::kSecretData) child = At::kSecretData;
        auto next = Step(states, StepView{StepView::Kind::kKey, k, 0, {}, nullptr, nullptr});
        if (Stripped(next)) continue;
        NodeId made = kNoNode;
        if (in_.type(e.value) == Type::kList && MergesByName(k)) made = Keyed(e.value, next);
        else made = Copy(e.value, child, std::move(next));
        // Annotations left empty by stripping are no annotations (envs then agree).
        if (child == At::kAnnotations && !o_.keep_server_fields && out_.children(made).empty() &&
            !in_.children(e.value).empty())
          continue;
        kids.push_back(Entry{out_.intern(k), made});
      }
      return out_.add_container(Type::kMap, kids, n.line, n.column);
    }
    if (n.type == Type::kList) {
      int64_t index = 0;
      for (const Entry& e : in_.children(id)) {
        auto next = Step(states, StepView{StepView::Kind::kIndex, {}, index++, {}, nullptr, nullptr});
        if (Stripped(next)) continue;
        kids.push_back(Entry{kNoKey, Copy(e.value, At::kOther, std::move(next))});
      }
      return out_.add_container(Type::kList, kids, n.line, n.column);
    }
    return out_.copy_from(in_, id);
  }

  // A list the API merges by name, as a map keyed by each item's name; a list whose items do
  // not all have a distinct name stays a list (paired by position).
  NodeId Keyed(NodeId id, const std::vector<Selector::State>& states) {
    const Node& n = in_.node(id);
    std::vector<std::string_view> names;
    for (const Entry& e : in_.children(id)) {
      NodeId f = in_.type(e.value) == Type::kMap ? in_.find(e.value, "name") : kNoNode;
      if (f == kNoNode || in_.type(f) != Type::kString) return Copy(id, At::kOther, states);
      for (auto seen : names)
        if (seen == in_.str(f)) return Copy(id, At::kOther, states);
      names.push_back(in_.str(f));
    }
    std::vector<Entry> kids;
    size_t i = 0;
    for (const Entry& e : in_.children(id)) {
      std::string_view name = names[i++];
      auto next = Step(states, StepView{StepView::Kind::kKeyed, "name", 0, name, nullptr, nullptr});
      if (Stripped(next)) continue;
      kids.push_back(Entry{out_.intern(name), Copy(e.value, At::kOther, std::move(next))});
    }
    NodeId made = out_.add_container(Type::kMap, kids, n.line, n.column);
    out_.set_keyed(made, "name");
    return made;
  }

  const Document& in_;
  Document& out_;
  const KubeOptions& o_;
  bool secret_ = false;
};

class KubernetesCollector final : public Collector {
 public:
  KubernetesCollector(KubeOptions o, CommonOptions c, std::string dir)
      : Collector(std::move(c)), o_(std::move(o)), dir_(std::move(dir)) {
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
    Document out;
    out.set_origin(shown_);
    std::vector<Selector::State> states;
    StepView source{StepView::Kind::kKey, common_.source, 0, {}, nullptr, nullptr};
    for (const Selector& s : o_.strip) states.push_back(s.Step(s.Start(), source));
    if (!o_.by_selector) {
      const KubeObject& obj = objects.front().second;
      if (obj.node != kNoNode) {
        Shaper shaper(*obj.doc, out, o_);
        out.set_root(shaper.Object(obj, std::move(states)));
      }
    } else {
      std::vector<Entry> kids;
      for (const auto& [name, obj] : objects) {
        Shaper shaper(*obj.doc, out, o_);
        auto next = shaper.Step(states, StepView{StepView::Kind::kKey, name, 0, {}, nullptr, nullptr});
        if (shaper.Stripped(next)) continue;
        kids.push_back(Entry{out.intern(name), shaper.Object(obj, std::move(next))});
      }
      out.set_root(out.add_container(Type::kMap, kids));
    }
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
  std::string kind_lower = o.kind;
  for (char& c : kind_lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
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
