// The built-in normalizers: env_tokens, lowercase, trim, replace, sort_lists, list_key, numbers.
#include <algorithm>
#include <charconv>
#include <unordered_set>
#include <nlohmann/json.hpp>

#include "core/regex.h"
#include "core/strings.h"
#include "rules/normalizer.h"

namespace drift {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Replaces the env's own name and aliases, as whole tokens, case-insensitively, with {env}.
class EnvTokens final : public Normalizer {
 public:
  void Scalar(ScalarValue& v, const std::vector<std::string>& names) const override {
    if (v.type != Type::kString) return;
    std::string lower = ToLower(v.s);
    std::string out;
    size_t i = 0;
    bool changed = false;
    while (i < v.s.size()) {
      bool at_boundary = i == 0 || !IsAlnum(v.s[i - 1]);
      bool replaced = false;
      if (at_boundary) {
        for (const auto& n : names) {
          if (n.empty() || lower.compare(i, n.size(), n) != 0) continue;
          size_t end = i + n.size();
          if (end < v.s.size() && IsAlnum(v.s[end])) continue;
          out += "{env}";
          i = end;
          replaced = changed = true;
          break;
        }
      }
      if (!replaced) out += v.s[i++];
    }
    if (changed) v.s = std::move(out);
  }
};

class Lowercase final : public Normalizer {
 public:
  void Scalar(ScalarValue& v, const std::vector<std::string>&) const override {
    if (v.type == Type::kString) v.s = ToLower(v.s);
  }
};

class TrimNorm final : public Normalizer {
 public:
  void Scalar(ScalarValue& v, const std::vector<std::string>&) const override {
    if (v.type == Type::kString) v.s = std::string(Trim(v.s));
  }
};

class Replace final : public Normalizer {
 public:
  Replace(Regex re, std::string with) : re_(std::move(re)), with_(std::move(with)) {}
  void Scalar(ScalarValue& v, const std::vector<std::string>&) const override {
    if (v.type == Type::kString) v.s = re_.ReplaceAll(v.s, with_);
  }

 private:
  Regex re_;
  std::string with_;
};

// Strings that are wholly a number become that number ("5" == 5).
class Numbers final : public Normalizer {
 public:
  void Scalar(ScalarValue& v, const std::vector<std::string>&) const override {
    if (v.type != Type::kString) return;
    std::string_view t = Trim(v.s);
    if (t.empty()) return;
    int64_t i;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), i);
    if (ec == std::errc() && p == t.data() + t.size()) {
      v.type = Type::kInt;
      v.i = i;
      return;
    }
    double d;
    auto [p2, ec2] = std::from_chars(t.data(), t.data() + t.size(), d);
    if (ec2 == std::errc() && p2 == t.data() + t.size()) {
      v.type = Type::kFloat;
      v.f = d;
    }
  }
};

class SortLists final : public Normalizer {
 public:
  void List(Document& doc, std::vector<Entry>& items, std::string& keyed) const override {
    if (!keyed.empty()) return;
    std::vector<std::pair<std::string, Entry>> keyed_items;
    for (const Entry& e : items) keyed_items.emplace_back(DumpJson(ToJson(doc, e.value)), e);
    std::stable_sort(keyed_items.begin(), keyed_items.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < items.size(); ++i) items[i] = keyed_items[i].second;
  }
};

// Lists of maps are matched by one field of each item (containers by `name`).
class ListKey final : public Normalizer {
 public:
  explicit ListKey(std::string field) : field_(std::move(field)) {}
  void List(Document& doc, std::vector<Entry>& items, std::string& keyed) const override {
    if (!keyed.empty() || items.empty()) return;
    std::vector<std::string> keys;
    std::unordered_set<std::string> seen;
    for (const Entry& e : items) {
      NodeId f = doc.find(e.value, field_);
      // Items without the field, or with a repeated value, cannot be keyed: keep indices.
      if (f == kNoNode || doc.is_container(f)) return;
      std::string k = doc.scalar_text(f);
      if (!seen.insert(k).second) return;
      keys.push_back(std::move(k));
    }
    for (size_t i = 0; i < items.size(); ++i) items[i].key = doc.intern(keys[i]);
    keyed = field_;
  }

 private:
  std::string field_;
};

class Normalizing {
 public:
  Normalizing(const Document& raw, const NormalizerList& n, const std::vector<std::string>& env,
              NormalizedTree& out)
      : raw_(raw), norms_(n), env_(env), out_(out) {}

  NodeId Copy(NodeId id) {
    const Node& n = raw_.node(id);
    NodeId made = kNoNode;
    if (n.type == Type::kMap || n.type == Type::kList) {
      std::vector<Entry> kids;
      for (const Entry& e : raw_.children(id)) {
        KeyId k = e.key == kNoKey ? kNoKey : out_.doc.intern(raw_.key(e.key));
        kids.push_back(Entry{k, Copy(e.value)});
      }
      std::string keyed;
      if (n.type == Type::kList)
        for (const auto& norm : norms_) norm->List(out_.doc, kids, keyed);
      if (!keyed.empty()) {
        made = out_.doc.add_container(Type::kMap, kids, n.line, n.column);
        out_.doc.set_keyed(made, keyed);
      } else {
        made = out_.doc.add_container(n.type, kids, n.line, n.column);
      }
    } else {
      ScalarValue v = raw_.scalar(id);
      for (const auto& norm : norms_) norm->Scalar(v, env_);
      made = out_.doc.add_scalar(v, n.line, n.column);
    }
    if (out_.origin.size() <= made) out_.origin.resize(made + 1, kNoNode);
    out_.origin[made] = id;
    return made;
  }

 private:
  const Document& raw_;
  const NormalizerList& norms_;
  const std::vector<std::string>& env_;
  NormalizedTree& out_;
};

}  // namespace

std::vector<std::string> EnvNames::tokens() const {
  std::vector<std::string> out{ToLower(name)};
  for (const auto& a : aliases) out.push_back(ToLower(a));
  // Longest first, so "staging" wins over "stag" if both are aliases.
  std::stable_sort(out.begin(), out.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

void NormalizeInto(NormalizedTree& t, const Document& raw, NodeId node,
                   const NormalizerList& normalizers, const EnvNames& env) {
  t.doc.clear();
  t.origin.clear();
  t.raw = &raw;
  if (env.cached_tokens.empty()) {
    std::vector<std::string> tokens = env.tokens();
    t.root = Normalizing(raw, normalizers, tokens, t).Copy(node);
  } else {
    t.root = Normalizing(raw, normalizers, env.cached_tokens, t).Copy(node);
  }
  t.doc.set_root(t.root);
}

NormalizedTree Normalize(const Document& raw, NodeId node, const NormalizerList& normalizers,
                         const EnvNames& env) {
  NormalizedTree t;
  NormalizeInto(t, raw, node, normalizers, env);
  t.doc.set_origin(raw.origin());
  return t;
}

NormalizerList MakeNormalizers(const YAML::Node& node, YamlReader& r) {
  NormalizerList out;
  if (!node.IsDefined()) return out;
  if (!node.IsSequence()) {
    r.Error(node, "normalize must be a list, e.g. [env_tokens, lowercase]");
    return out;
  }
  static const std::vector<std::string_view> kNames = {
      "env_tokens", "lowercase", "trim", "replace", "sort_lists", "list_key", "numbers"};
  for (const auto& item : node) {
    if (item.IsScalar()) {
      const std::string& n = item.Scalar();
      if (n == "env_tokens") out.push_back(std::make_shared<EnvTokens>());
      else if (n == "lowercase") out.push_back(std::make_shared<Lowercase>());
      else if (n == "trim") out.push_back(std::make_shared<TrimNorm>());
      else if (n == "sort_lists") out.push_back(std::make_shared<SortLists>());
      else if (n == "numbers") out.push_back(std::make_shared<Numbers>());
      else if (n == "replace" || n == "list_key")
        r.Error(item, n == "replace" ? "replace needs {replace: {pattern: REGEX, with: STR}}"
                                     : "list_key needs a field: {list_key: name}");
      else
        r.Error(item, "unknown normalizer '" + n + "'" + DidYouMean(n, kNames));
      continue;
    }
    if (!item.IsMap() || item.size() != 1) {
      r.Error(item, "a normalizer is a name or a one-key map such as {list_key: name}");
      continue;
    }
    auto it = item.begin();
    std::string name = it->first.Scalar();
    YAML::Node arg = it->second;
    if (name == "list_key") {
      if (auto f = r.String(arg, "list_key")) {
        if (f->empty()) r.Error(arg, "list_key needs a field name");
        else out.push_back(std::make_shared<ListKey>(*f));
      }
    } else if (name == "replace") {
      if (!r.ExpectMap(arg, "replace")) continue;
      r.CheckKeys(arg, {"pattern", "with"}, "replace");
      auto p = Get(arg, "pattern");
      if (!p.IsDefined()) {
        r.Error(arg, "replace needs a pattern");
        continue;
      }
      auto pat = r.String(p, "pattern");
      std::string with;
      if (auto w = Get(arg, "with"); w.IsDefined()) {
        if (auto s = r.String(w, "with")) with = *s;
      }
      if (!pat) continue;
      auto re = Regex::Compile(*pat);
      if (re) out.push_back(std::make_shared<Replace>(std::move(*re), with));
      else r.Error(p, re.error().message);
    } else if (name == "env_tokens" || name == "lowercase" || name == "trim" ||
               name == "sort_lists" || name == "numbers") {
      r.Error(it->first, "normalizer '" + name + "' takes no arguments");
    } else {
      r.Error(it->first, "unknown normalizer '" + name + "'" + DidYouMean(name, kNames));
    }
  }
  return out;
}

}  // namespace drift
