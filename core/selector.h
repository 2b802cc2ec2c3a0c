// Selectors (SPEC §3): paths where a segment may be *, ** or a key glob (*_URL, {a,b}). Compiled
// once into a small NFA; matching runs incrementally while walking a tree, one bitmask of
// reachable positions per depth, so no path string is ever built for matching.
// Immutable after Compile: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/path.h"
#include "core/result.h"

namespace drift {

// One step of the path being walked.
struct StepView {
  enum class Kind : uint8_t { kKey, kIndex, kKeyed } kind;
  std::string_view key;  // kKey: key; kKeyed: field
  int64_t index = 0;     // kIndex
  std::string_view value;  // kKeyed
  // For [field=value] selector segments met at an index step: the item's field as text.
  const void* ctx = nullptr;
  std::optional<std::string> (*field_of)(const void* ctx, std::string_view field) = nullptr;
};

class Selector {
 public:
  using State = uint64_t;
  static constexpr size_t kMaxSegments = 62;

  static Result<Selector> Compile(std::string_view text);

  State Start() const { return Closure(1); }
  State Step(State s, const StepView& step) const;
  bool Accepts(State s) const { return (s >> segs_.size()) & 1; }
  // When `s` only waits, behind a **, for one literal key ("config.**.DEBUG" after "config"),
  // that key: every other step leaves `s` as it is, so a walk may skip Step for them.
  // Empty otherwise.
  std::string_view WaitingFor(State s) const {
    for (const auto& [mask, literal] : waits_)
      if (s == mask) return literal;
    return {};
  }
  // No wildcard or glob anywhere: names exactly one path.
  bool literal() const { return literal_; }
  const Path& path() const { return path_; }
  const std::string& text() const { return text_; }

 private:
  enum class SegKind : uint8_t { kLiteral, kGlob, kStar, kDoubleStar, kIndex, kAnyIndex, kKeyed };
  struct Seg {
    SegKind kind;
    std::string key;  // literal/glob key, keyed field
    std::vector<std::string> globs;  // kGlob: the key's {a,b} alternatives spelled out
    int64_t index = 0;
    std::string value;  // keyed value
  };
  State Closure(State s) const;
  bool SegMatches(const Seg& seg, const StepView& step) const;

  std::vector<Seg> segs_;
  State double_stars_ = 0;  // bit i: segs_[i] is **
  // The states {**, literal after it} and that literal (WaitingFor).
  std::vector<std::pair<State, std::string>> waits_;
  Path path_;
  std::string text_;
  bool literal_ = true;
};

}  // namespace drift
