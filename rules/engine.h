// Rule evaluation (SPEC §4): walks a source's snapshots top-down over the union of every
// env's tree. Rules compose: ignores always win; the first rule applying to a node judges it
// and the descendants no rule applies to; normalizers accumulate outermost first, so that
// list_key's [name=...] items are what deeper selectors see. Const and stateless between calls: one Evaluator may evaluate many
// sources from several threads at once.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/document.h"
#include "core/finding.h"
#include "core/executor.h"
#include "rules/redact.h"
#include "rules/ruleset.h"

namespace drift {

class Evaluator {
 public:
  Evaluator(const Config& config, const RuleSet& rules, const Redactor& redactor,
            std::chrono::sys_days today);

  // docs[i] is env i's snapshot (of `config.environments`), or nullptr when the env was not
  // collected or the service does not run there. `owner` is the service's resolved owner.
  // `redact_all`: every value of this source is secret (decode: base64 sources).
  std::vector<Finding> Evaluate(const ServiceConfig& service, const std::string& owner,
                                const std::string& source, std::span<const Document* const> docs,
                                bool redact_all = false) const;

  const Config& config() const { return config_; }
  const RuleSet& rules() const { return rules_; }
  const Redactor& redactor() const { return redactor_; }
  std::chrono::sys_days today() const { return today_; }
  // The service's baseline env index: the config's baseline when the service runs there,
  // else the first env the service runs in.
  int BaselineFor(const ServiceConfig& service) const;

  // Snapshots of `min_nodes` nodes or more (all envs together) are walked in parts on
  // `executor`, up to `threads` at once (0: one per core; from 200k nodes by default).
  // Without an executor every walk is one thread's. Not thread-safe: set before use.
  void set_executor(Executor* executor) { executor_ = executor; }
  void set_parallelism(size_t threads, size_t min_nodes) {
    threads_ = threads;
    min_parallel_nodes_ = min_nodes;
  }

 private:
  std::vector<Finding> Walk(const ServiceConfig& service, const std::string& owner,
                            const std::string& source, std::span<const Document* const> docs,
                            bool redact_all) const;

  const Config& config_;
  const RuleSet& rules_;
  const Redactor& redactor_;
  std::chrono::sys_days today_;
  std::vector<EnvNames> env_names_;
  Executor* executor_ = nullptr;
  size_t threads_ = 0;  // 0: one per core
  size_t min_parallel_nodes_ = 200'000;
  friend class Walker;
};

// A structural diff of two documents with the `equal` semantics (for `drift diff`): paths
// are relative to the root. Normalizers apply to both sides; env_tokens uses env_a/env_b.
std::vector<Finding> DiffDocuments(const Document& a, const Document& b,
                                   const NormalizerList& normalizers, const EnvNames& env_a,
                                   const EnvNames& env_b, const Redactor& redactor);

}  // namespace drift
