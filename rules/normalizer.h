// The normalizer extension point (SPEC §4): applied to both sides before comparing, in the
// order written. Scalar hooks rewrite each scalar; list hooks reorder or re-key each list
// after its items were normalized. Implementations are immutable: thread-safe.
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/document.h"
#include "core/yaml_reader.h"

namespace drift {

// What env_tokens and env_vars replace in one env's values.
struct EnvNames {
  std::string name;
  std::vector<std::string> aliases;
  std::vector<std::pair<std::string, std::string>> vars;  // `vars:`, NAME -> value
  // Filled by Prepare(), once, by whoever normalizes many values: the name and aliases
  // lower-cased with "{env}", longest first (env_tokens); the vars' values lower-cased with
  // their "{NAME}", longest first (env_vars).
  std::vector<std::pair<std::string, std::string>> tokens, var_tokens;
  bool prepared = false;
  void Prepare();
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // `env` is prepared (EnvNames::Prepare).
  virtual void Scalar(ScalarValue& v, const EnvNames& env) const {
    (void)v;
    (void)env;
  }
  // items: the list's children in `doc`, already normalized. Setting keyed_field turns the
  // list into a map keyed by that field (entries' keys must then be set).
  virtual void List(Document& doc, std::vector<Entry>& items, std::string& keyed_field) const {
    (void)doc;
    (void)items;
    (void)keyed_field;
  }
};

using NormalizerList = std::vector<std::shared_ptr<const Normalizer>>;

// Parses a `normalize:` list; problems go to the reader. Each factory checks its own keys.
NormalizerList MakeNormalizers(const YAML::Node& node, YamlReader& reader);

// One normalizer drift knows, listed in normalizers.cc: validation, `drift diff --help` and
// the docs read this list.
struct NormalizerType {
  std::string_view name;
  std::string_view cli_argument;  // `drift diff --normalize name:ARG` ("" without one)
  std::string_view needs;         // its argument as drift.yaml writes it ("" without one)
  std::string_view help;
  // Parses its argument (only called with one when `needs` says it takes one; else with an
  // empty node): nullptr with an error in the reader.
  std::shared_ptr<const Normalizer> (*make)(const YAML::Node& arg, YamlReader& reader);
};
std::span<const NormalizerType> BuiltinNormalizers();

// A normalized copy of a subtree; origin[n] is the raw node each new node came from.
struct NormalizedTree {
  Document doc;
  std::vector<NodeId> origin;
  const Document* raw = nullptr;
  NodeId root = kNoNode;
};
NormalizedTree Normalize(const Document& raw, NodeId node, const NormalizerList& normalizers,
                         const EnvNames& env);
// The same into an existing tree, reusing its buffers (the engine normalizes many leaves).
void NormalizeInto(NormalizedTree& out, const Document& raw, NodeId node,
                   const NormalizerList& normalizers, const EnvNames& env);

}  // namespace drift
