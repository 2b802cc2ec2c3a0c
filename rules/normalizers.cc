// The built-in normalizers: env_tokens, env_vars, lowercase, trim, replace, sort_lists, list_key, numbers.
#include <algorithm>
#include <charconv>
#include <span>
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

// Replaces each token (lower-case) found in `s` as a whole token — bounded by the string's
// ends or by characters that are not letters or digits — case-insensitively, by its
// replacement; the first token in the list that fits wins (lists are longest first).
bool ReplaceTokens(std::string& s, std::span<const std::pair<std::string, std::string>> tokens) {
  std::string lower = ToLower(s);
  std::string out;
  size_t i = 0;
  bool changed = false;
  while (i < s.size()) {
    bool at_boundary = i == 0 || !IsAlnum(s[i - 1]);
    bool replaced = false;
    if (at_boundary) {
      for (const auto& [token, with] : tokens) {
        if (token.empty() || lower.compare(i, token.size(), token) != 0) continue;
        size_t end = i + token.size();
        if (end < s.size() && IsAlnum(s[end])) continue;
        out += with;
        i = end;
        replaced = changed = true;
        break;
      }
    }
    if (!replaced) out += s[i++];
  }
  if (changed) s = std::move(out);
  return changed;
}

// Replaces the env's own name and aliases, as whole tokens, case-insensitively, with {env}.
class EnvTokens final : public Normalizer {
 public:
  void Scalar(ScalarValue& v, const EnvNames& env) const override {
    if (v.type == Type::kString) ReplaceTokens(v.s, env.tokens);
  }
};

// Replaces the env's own vars' values, as whole tokens, case-insensitively, with {NAME}
// (SPEC §4 env_vars: prod's example.org and stage's stage.example.org both become {domain}).
class EnvVarsNorm final : public Normalizer {
 public:
  void Scalar(ScalarValue& v, const EnvNames& env) const override {
    if (v.type == Type::kString && !env.var_tokens.empty()) ReplaceTokens(v.s, env.var_tokens);
  }
};

class Lowercase final : public Normalizer {
 public:
  void Scalar(ScalarValue& v, const EnvNames&) const override {
    if (v.type == Type::kString) v.s = ToLower(v.s);
  }
};

class TrimNorm final : public Normalizer {
 public:
  void Scalar(ScalarValue& v, const EnvNames&) const override {
    if (v.type == Type::kString) v.s = std::string(Trim(v.s));
  }
};

class Replace final : public Normalizer {
 public:
  Replace(Regex re, std::string with) : re_(std::move(re)), with_(std::move(with)) {}
  void Scalar(ScalarValue& v, const EnvNames&) const override {
    if (v.type == Type::kString) v.s = re_.ReplaceAll(v.s, with_);
  }

 private:
  Regex re_;
  std::string with_;
};

// Strings that are wholly a number become that number ("5" == 5).
class Numbers final : public Normalizer {
 public:
  void Scalar(ScalarValue& v, const EnvNames&) const override {
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
  Normalizing(const Document& raw, const NormalizerList& n, const EnvNames& env,
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
  const EnvNames& env_;
  NormalizedTree& out_;
};

}  // namespace

void EnvNames::Prepare() {
  // Longest first, so "staging" wins over "stag" if both are aliases.
  auto longest = [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); };
  tokens = {{ToLower(name), "{env}"}};
  for (const auto& a : aliases) tokens.emplace_back(ToLower(a), "{env}");
  std::stable_sort(tokens.begin(), tokens.end(), longest);
  var_tokens.clear();
  for (const auto& [var, value] : vars) var_tokens.emplace_back(ToLower(value), "{" + var + "}");
  std::stable_sort(var_tokens.begin(), var_tokens.end(), longest);
  prepared = true;
}

void NormalizeInto(NormalizedTree& t, const Document& raw, NodeId node,
                   const NormalizerList& normalizers, const EnvNames& env) {
  t.doc.clear();
  t.origin.clear();
  t.raw = &raw;
  if (!env.prepared) {
    EnvNames copy = env;
    copy.Prepare();
    t.root = Normalizing(raw, normalizers, copy, t).Copy(node);
  } else {
    t.root = Normalizing(raw, normalizers, env, t).Copy(node);
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

namespace {

// Each normalizer's own argument parsing.
using NormalizerPtr = std::shared_ptr<const Normalizer>;
NormalizerPtr MakeListKey(const YAML::Node& arg, YamlReader& r) {
  auto f = r.String(arg, "list_key");
  if (!f) return nullptr;
  if (f->empty()) {
    r.Error(arg, "list_key needs a field name");
    return nullptr;
  }
  return std::make_shared<ListKey>(*f);
}

NormalizerPtr MakeReplace(const YAML::Node& arg, YamlReader& r) {
  if (!r.ExpectMap(arg, "replace")) return nullptr;
  r.CheckKeys(arg, {"pattern", "with"}, "replace");
  auto p = Get(arg, "pattern");
  if (!p.IsDefined()) {
    r.Error(arg, "replace needs a pattern");
    return nullptr;
  }
  auto pat = r.String(p, "pattern");
  std::string with;
  if (auto w = Get(arg, "with"); w.IsDefined()) {
    if (auto s = r.String(w, "with")) with = *s;
  }
  if (!pat) return nullptr;
  auto re = Regex::Compile(*pat);
  if (!re) {
    r.Error(p, re.error().message);
    return nullptr;
  }
  return std::make_shared<Replace>(std::move(*re), with);
}

template <typename T>
NormalizerPtr MakePlain(const YAML::Node&, YamlReader&) {
  return std::make_shared<T>();
}

constexpr NormalizerType kNormalizers[] = {
    {"env_tokens", "", "", "env names (and their aliases) in values become {env}", &MakePlain<EnvTokens>},
    {"env_vars", "", "", "each env's own vars' values in values become {NAME}", &MakePlain<EnvVarsNorm>},
    {"lowercase", "", "", "values compared in lower case", &MakePlain<Lowercase>},
    {"trim", "", "", "leading and trailing whitespace removed", &MakePlain<TrimNorm>},
    {"replace", "", "{replace: {pattern: REGEX, with: STR}}", "an RE2 replacement ($1, ${1}, $&)",
     &MakeReplace},
    {"sort_lists", "", "", "lists compared as sorted", &MakePlain<SortLists>},
    {"list_key", "FIELD", "a field: {list_key: name}", "lists of maps paired by FIELD, not position",
     &MakeListKey},
    {"numbers", "", "", "numeric strings compared as numbers", &MakePlain<Numbers>},
};

}  // namespace

std::span<const NormalizerType> BuiltinNormalizers() { return kNormalizers; }

NormalizerList MakeNormalizers(const YAML::Node& node, YamlReader& r) {
  NormalizerList out;
  if (!node.IsDefined()) return out;
  if (!node.IsSequence()) {
    r.Error(node, "normalize must be a list, e.g. [env_tokens, lowercase]");
    return out;
  }
  std::vector<std::string_view> names;
  for (const auto& t : kNormalizers) names.push_back(t.name);
  auto find = [](const std::string& name) -> const NormalizerType* {
    for (const auto& t : kNormalizers)
      if (t.name == name) return &t;
    return nullptr;
  };
  for (const auto& item : node) {
    // (yaml-cpp's Node::operator= writes through to the node it refers to: each node here
    // is bound once.)
    bool has_arg = item.IsMap() && item.size() == 1;
    if (!has_arg && !item.IsScalar()) {
      r.Error(item, "a normalizer is a name or a one-key map such as {list_key: name}");
      continue;
    }
    const YAML::Node name_node = has_arg ? item.begin()->first : item;
    const YAML::Node arg = has_arg ? item.begin()->second : YAML::Node();
    const std::string& name = name_node.Scalar();
    const NormalizerType* t = find(name);
    if (!t) {
      r.Error(name_node, "unknown normalizer '" + name + "'" + DidYouMean(name, names));
      continue;
    }
    bool takes_argument = !t->needs.empty();
    if (has_arg && !takes_argument) {
      r.Error(name_node, "normalizer '" + name + "' takes no arguments");
      continue;
    }
    if (!has_arg && takes_argument) {
      r.Error(name_node, name + " needs " + std::string(t->needs));
      continue;
    }
    if (auto n = t->make(arg, r)) out.push_back(std::move(n));
  }
  return out;
}

}  // namespace drift
