// User regexes (SPEC §4: `matches`, `replace`, semver `pattern`, discovery `rename`) are RE2:
// linear time in the input, no recursion, so no value a source returns can stall or crash
// drift; the syntax is Prometheus's and Alertmanager's. Compiled patterns are immutable and
// thread-safe; copies share the compiled automaton.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace re2 {
class RE2;
}

namespace drift {

class Regex {
 public:
  Regex() = default;
  // A pattern RE2 refuses (bad syntax, backreferences, lookaround, too large) is an error whose
  // message quotes at most the start of the pattern.
  static Result<Regex> Compile(std::string_view pattern);

  bool valid() const { return re_ != nullptr; }
  // The whole text matches.
  bool FullMatch(std::string_view text) const;
  // Some part of the text matches; group1 (when given) receives the first capture group,
  // or the whole match when the pattern has no group.
  bool Search(std::string_view text, std::string* group1 = nullptr) const;
  // Every non-overlapping match replaced by `with`, where $1 / ${1} name capture groups,
  // $0 the whole match and $$ a dollar sign (the convention of Prometheus relabelling).
  std::string ReplaceAll(std::string_view text, std::string_view with) const;
  const std::string& pattern() const;
  // `text` with every character RE2 treats specially escaped: it then matches itself.
  static std::string Escape(std::string_view text);

 private:
  std::shared_ptr<const re2::RE2> re_;
};

}  // namespace drift
