// Paths name one node of a snapshot (SPEC §3): settings.FEATURES.X, hosts[2],
// flags["waffle.new_ui"].everyone, BACKENDS[name=saml]. Printing and parsing round-trip.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace drift {

struct PathSegment {
  enum class Kind : uint8_t { kKey, kIndex, kKeyed };
  Kind kind = Kind::kKey;
  std::string key;     // kKey: the key; kKeyed: the field
  int64_t index = -1;  // kIndex; -1 for the selector wildcard [*]
  std::string value;   // kKeyed: the field's value
  bool quoted = false;  // written as ["..."] (selectors: a quoted key is never a glob)

  static PathSegment Key(std::string k) { return {Kind::kKey, std::move(k), -1, {}, false}; }
  static PathSegment Index(int64_t i) { return {Kind::kIndex, {}, i, {}, false}; }
  static PathSegment Keyed(std::string field, std::string value) {
    return {Kind::kKeyed, std::move(field), -1, std::move(value), false};
  }
  bool operator==(const PathSegment& o) const {
    return kind == o.kind && key == o.key && index == o.index && value == o.value;
  }
};

using Path = std::vector<PathSegment>;

// True when a key prints bare ([A-Za-z0-9_-]+).
bool IsBareKey(std::string_view key);
void AppendKey(std::string& out, std::string_view key, bool first);
void AppendIndex(std::string& out, int64_t index);
void AppendKeyed(std::string& out, std::string_view field, std::string_view value);
std::string FormatPath(const Path& path);

// Orders printed paths as people read them: like strings, except that list indices compare
// as numbers (`x[2]` before `x[10]`). A strict weak order, <0 / 0 / >0 like compare().
int ComparePaths(std::string_view a, std::string_view b);

// Parses a path; with `selector` set, unquoted keys may contain * and [*] is allowed.
// Errors name the 1-based column.
Result<Path> ParsePath(std::string_view text, bool selector = false);

}  // namespace drift
