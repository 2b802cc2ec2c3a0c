// The rules of a config compiled once: selectors parsed, expectations and normalizers built.
// Immutable once compiled: safe to share between threads and evaluations.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "rules/expectation.h"
#include "rules/normalizer.h"
#include "core/selector.h"

namespace drift {

struct CompiledRule {
  std::string name;  // "default" for the defaults rule
  bool ignore = false;
  Selector selector;
  std::vector<std::string> services;  // empty = every service
  EnvSet envs = ~EnvSet{0};           // envs the rule applies to
  Severity severity = Severity::kWarning;
  std::string owner, runbook, description;
  bool redact = false;
  std::shared_ptr<const Expectation> expect;  // null for ignore entries
  NormalizerList normalizers;
  // Waiver fields of ignore entries.
  std::string reason, ticket, expires_text;
  std::optional<std::chrono::sys_days> expires;
  Position where;

  bool applies_to_service(const std::string& service) const;
  // An expired waiver no longer applies (its findings come back).
  bool expired(std::chrono::sys_days today) const { return expires && today > *expires; }
};

struct RuleSet {
  std::vector<CompiledRule> rules;  // file order
  CompiledRule defaults;            // defaults.expect / defaults.severity, name "default"
  // Ignore entries whose expiry date has passed (for drift_waivers_expired and validate).
  size_t expired_waivers(std::chrono::sys_days today) const;
};

// Compiles the config's rules; problems go to diags (an expired waiver is a warning).
std::shared_ptr<const RuleSet> CompileRules(const Config& config, Diagnostics& diags,
                                            std::chrono::sys_days today);

std::chrono::sys_days Today();

}  // namespace drift
