// What the rule engine's walk is built from: path steps and their text, a cursor over one
// map's children by key, and where a big walk splits into parts. Internal to the rules
// library; thread-compatible (a MapCursor belongs to one walk).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/document.h"
#include "rules/redact.h"
#include "core/selector.h"

namespace drift::walk {

struct PathStep {
  StepView::Kind kind;
  std::string_view key;  // key, or keyed field
  int64_t index = 0;
  std::string_view value;  // keyed value
};

// A list item keyed by a value (list_key) under a secret-named key, or in a source that is
// secret as a whole, shows that value's fingerprint: the path itself must not leak it.
std::string FormatSteps(const std::vector<PathStep>& steps, bool secret_source,
                        const Redactor& redactor);

inline bool SameContainerType(const Document& a, NodeId x, const Document& b, NodeId y) {
  return a.is_container(x) && a.type(x) == b.type(y);
}

// Finds children of one map by key, for maps whose keys differ between envs. Look-ups come
// mostly in the map's own order, so the next position is tried first; a hash index is built
// only for maps that are really shuffled.
class MapCursor {
 public:
  MapCursor(const Document& d, NodeId map) : d_(d), kids_(d.children(map)) {}
  NodeId Find(std::string_view k);

 private:
  const Document& d_;
  std::span<const Entry> kids_;
  size_t next_ = 0;
  std::unordered_map<std::string_view, size_t> index_;
};

// Where a big walk splits into parts: the first node, going down from the root, that is not
// a map with one and the same key in every env (`{items: [...]}` splits at the list).
// Returns the depth and how many children the node has at most.
std::pair<size_t, size_t> SplitPoint(std::span<const Document* const> docs);

}  // namespace drift::walk
