// A finding: one path in one env that breaks its rule (SPEC §4). A value type with equality
// and a stable id, like osquery's DiffResults rows.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"

namespace drift {

enum class FindingKind : uint8_t { kChanged, kMissing, kExtra, kType, kSame, kPattern, kSkew };
std::string_view FindingKindName(FindingKind k);

struct Finding {
  std::string id;
  std::string service, source, path, env;
  std::string with_env;  // differ: the earlier env of the equal pair
  std::string rule;      // rule name or "default"
  FindingKind kind = FindingKind::kChanged;
  Severity severity = Severity::kWarning;
  std::string owner;
  std::optional<nlohmann::ordered_json> baseline_value, value;  // absent: omitted
  bool redacted = false;
  std::string first_seen;  // RFC 3339; set by whoever knows (state store or check time)
  // Where the env's value is (for SARIF): file and 1-based line/column, when a file source.
  std::string file;
  uint32_t line = 0, column = 0;
  std::string runbook, description;
  // What the rule compared, for people (semver_skew: both versions and the limit broken).
  std::string message;
  // Daemon only (SPEC §4 "Unknown is neither drift nor a fix"): a source this finding
  // depends on could not be collected since `unknown_since`; the finding is its last known
  // state, kept (and still alerting) until a successful collection decides.
  bool stale = false;
  std::string unknown_since;

  bool operator==(const Finding&) const = default;
};

// First 16 hex digits of SHA-256 of service\x1fsource\x1fpath\x1fenv\x1frule.
std::string FindingId(const std::string& service, const std::string& source,
                      const std::string& path, const std::string& env, const std::string& rule);

// Sorted by service, source, path, then env in `environments` order (then rule, with_env).
void SortFindings(std::vector<Finding>& findings, const std::vector<std::string>& env_order);
// SortFindings in two halves: the order (order[i] = the index of the finding that goes to
// slot i; reads only the fields it sorts by), then moving the findings into it.
std::vector<uint32_t> SortedOrder(const std::vector<Finding>& findings,
                                  const std::vector<std::string>& env_order);
void ApplyOrder(std::vector<Finding>& findings, const std::vector<uint32_t>& order);

}  // namespace drift
