#include "collectors/kube_shape.h"

#include "core/crypto.h"
#include "core/strings.h"

namespace drift {

// The kind as the factory normalized it (FindKnownKind): `secrets`, `Secret` and `SECRET`
// are all Secrets.
bool IsSecretKind(const std::string& kind) {
  std::string k = ToLower(kind);
  return k == "secret" || k == "secrets";
}

namespace {

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
  Shaper(const Document& in, Document& out, const KubeShape& o) : in_(in), out_(out), o_(o) {}

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
  const KubeShape& o_;
  bool secret_ = false;
};

}  // namespace

Document ShapeKubeObjects(const std::vector<std::pair<std::string, KubeObject>>& objects,
                          const KubeShape& shape, std::string origin) {
  Document out;
  out.set_origin(std::move(origin));
  std::vector<Selector::State> states;
  StepView source{StepView::Kind::kKey, shape.source, 0, {}, nullptr, nullptr};
  for (const Selector& s : shape.strip) states.push_back(s.Step(s.Start(), source));
  if (!shape.by_selector) {
    if (!objects.empty() && objects.front().second.node != kNoNode) {
      const KubeObject& obj = objects.front().second;
      Shaper shaper(*obj.doc, out, shape);
      out.set_root(shaper.Object(obj, std::move(states)));
    }
  } else {
    std::vector<Entry> kids;
    for (const auto& [name, obj] : objects) {
      if (obj.node == kNoNode) continue;
      Shaper shaper(*obj.doc, out, shape);
      auto next = shaper.Step(states, StepView{StepView::Kind::kKey, name, 0, {}, nullptr, nullptr});
      if (shaper.Stripped(next)) continue;
      kids.push_back(Entry{out.intern(name), shaper.Object(obj, std::move(next))});
    }
    out.set_root(out.add_container(Type::kMap, kids));
  }
  return out;
}

}  // namespace drift
