// The expectation extension point (SPEC §4): what must hold for the node a rule decides.
// An Expectation is immutable once built and judged from any thread; the JudgeContext it is
// handed belongs to one evaluation and is not thread-safe.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/document.h"
#include "core/yaml_reader.h"
#include "core/finding.h"

namespace drift {

// One env's value at the node being judged.
struct Side {
  const Document* doc = nullptr;  // nullptr: the env was not collected (unknown, never drift)
  NodeId node = kNoNode;          // kNoNode: the path does not exist in this env
  bool collected() const { return doc != nullptr; }
  bool present() const { return doc != nullptr && node != kNoNode; }
};

using EnvSet = uint64_t;  // bit i: env i of `environments`
static_assert(sizeof(EnvSet) * 8 >= kMaxEnvironments, "an EnvSet holds every env");
inline bool Contains(EnvSet s, int e) { return (s >> e) & 1; }

class JudgeContext {
 public:
  virtual ~JudgeContext() = default;
  virtual int env_count() const = 0;
  // The env others are compared with, or -1 when it was not collected for this service.
  virtual int baseline() const = 0;
  virtual const std::string& env_name(int env) const = 0;
  // The env's value, normalized by the rules judging this node and its ancestors.
  virtual Side side(int env) = 0;
  // Records a finding at the current path (values are mapped back to raw and redacted).
  // `message` says what was compared (shown with the finding; dropped when it is secret).
  virtual void Report(int env, FindingKind kind, Side baseline_value, Side value,
                      int with_env = -1, std::string message = {}) = 0;
  // Diffs side(baseline) against side(env) leaf by leaf, reporting changed/missing/extra/type
  // at the deepest differing paths.
  virtual void DiffEqual(int env) = 0;
};

class Expectation {
 public:
  virtual ~Expectation() = default;
  // Judges the node for the envs this rule decides there.
  virtual void Judge(JudgeContext& ctx, EnvSet envs) const = 0;
  // Whether judging a whole subtree at its root means the same as judging every leaf
  // (lets the engine skip walking subtrees no rule can reach).
  virtual bool judges_subtrees() const { return true; }
  // differ, present, absent: the node the rule applies to is judged as a whole, and nothing
  // below it on the rule's behalf. The others judge leaf by leaf (SPEC §4 composition).
  virtual bool judges_whole_node() const { return false; }
  // Whether a leaf's judgement needs the baseline's value at the same path (equal, within,
  // semver_skew); matches and one_of judge each env's value on its own.
  virtual bool compares_with_baseline() const { return true; }
  // Only some expectations compare with the baseline; the baseline never gets their findings.
  virtual std::string_view name() const = 0;
  // Whether a literal path this expectation applies to is judged even when no env has it
  // (the walk never visits such a path): `present` reports it missing everywhere.
  virtual bool judges_missing_paths() const { return false; }
};

// One expectation drift knows, listed in expectations.cc: validation and help read it.
struct ExpectationType {
  std::string_view name;
  bool takes_argument;  // written {name: ARG}, else as a bare name
  std::string_view help;
  // Parses the argument (an empty node when it takes none): nullptr with an error in reader.
  std::unique_ptr<Expectation> (*make)(const YAML::Node& arg, YamlReader& reader,
                                       const std::vector<std::string>& envs);
};
std::span<const ExpectationType> BuiltinExpectations();

// Parses `expect:`; nullptr (with an error in the reader) when invalid. `envs` are the
// config's env names in order ({env} in `matches` is compiled once per env).
std::unique_ptr<Expectation> MakeExpectation(const YAML::Node& node, YamlReader& reader,
                                             const std::vector<std::string>& envs);
std::unique_ptr<Expectation> MakeEqual();

}  // namespace drift
