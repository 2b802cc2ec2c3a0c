// Who owns a service (SPEC §6): drift.yaml, then Backstage catalog-info.yaml, then
// openedx.yaml, then the repository-wide line of CODEOWNERS. Every source that names an
// owner is kept, so disagreements are visible. Stateless functions: thread-safe.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "core/diagnostics.h"

namespace drift {

struct OwnerCandidate {
  std::string from;   // "drift.yaml", "catalog-info.yaml", "openedx.yaml", ".github/CODEOWNERS", …
  std::string owner;  // several CODEOWNERS owners are joined with ","
  bool operator==(const OwnerCandidate&) const = default;
};

struct ServiceOwnership {
  std::string service;
  std::string owner;  // "" = unowned
  std::string from;   // where owner came from ("" when unowned)
  std::vector<OwnerCandidate> candidates;  // the other sources that named an owner
  bool disagreement = false;  // more than one distinct owner named
};

// Problems in ownership files (bad YAML, a CODEOWNERS line without owners) become warnings
// naming file and line; they never stop a check.
ServiceOwnership ResolveOwnership(const Config& config, const ServiceConfig& service,
                                  Diagnostics& warnings);
std::vector<ServiceOwnership> ResolveAllOwnership(const Config& config, Diagnostics& warnings);

// "group:default/team-x" -> "team-x", "user:y" -> "y".
std::string BackstageRefName(std::string_view ref);
// The owners of the repository-wide pattern (*, /*, /) of a CODEOWNERS text; "" for none.
std::string CodeownersRepoOwners(std::string_view text, const std::string& file,
                                 Diagnostics& warnings);

}  // namespace drift
