// Evaluates rules over in-memory snapshots: one service `svc` with one source `s`.
#pragma once

#include "core/config.h"
#include "rules/engine.h"
#include "tests/testing.h"

namespace drift::testing {

class RulesFixture {
 public:
  explicit RulesFixture(const std::string& rules_yaml,
                        const std::string& envs = "[prod, stage, sandbox]",
                        const std::string& extra = "") {
    std::string text = "version: 1\nenvironments: " + envs +
                       "\nservices:\n  svc:\n    owner: team-a\n    sources:\n"
                       "      s: {type: file, path: x.yml}\n      t: {type: file, path: y.yml}\n" +
                       extra + "rules:\n" + rules_yaml;
    auto c = LoadConfigFromString(text, "drift.yaml", diags);
    REQUIRE(c);
    config = std::move(*c);
    rules = CompileRules(config, diags, today);
    for (const auto& d : diags.Sorted()) INFO(d.ToString());
    REQUIRE_FALSE(diags.has_errors());
  }

  // One YAML text per env (nullopt: not collected).
  std::vector<Finding> Eval(const std::vector<std::optional<std::string>>& per_env,
                            const std::string& source = "s") {
    std::vector<Document> docs;
    docs.reserve(per_env.size());
    std::vector<const Document*> ptrs;
    for (size_t i = 0; i < per_env.size(); ++i) {
      if (!per_env[i]) {
        ptrs.push_back(nullptr);
        continue;
      }
      docs.push_back(Yaml(*per_env[i]));
      docs.back().set_origin(config.environments[i].name + ".yml");
      ptrs.push_back(&docs.back());
    }
    Evaluator ev(config, *rules, redactor, today);
    Executor executor(4);
    if (parallelism) {
      ev.set_executor(&executor);
      ev.set_parallelism(parallelism->first, parallelism->second);
    }
    auto out = ev.Evaluate(config.services[0], "team-a", source, ptrs);
    if (sorted) SortFindings(out, config.env_names());
    return out;
  }

  // "path env kind rule severity" per finding, the form most tests compare.
  std::vector<std::string> Brief(const std::vector<std::optional<std::string>>& per_env,
                                 const std::string& source = "s") {
    std::vector<std::string> out;
    for (const auto& f : Eval(per_env, source)) {
      std::string s = f.path + " " + f.env + " " + std::string(FindingKindName(f.kind)) + " " +
                      f.rule + " " + std::string(SeverityName(f.severity));
      if (!f.with_env.empty()) s += " with=" + f.with_env;
      out.push_back(s);
    }
    return out;
  }

  Diagnostics diags;
  Config config;
  std::shared_ptr<const RuleSet> rules;
  Redactor redactor{"test-fingerprint-key"};
  std::chrono::sys_days today = std::chrono::sys_days(std::chrono::year(2026) / 11 / 27);
  // Evaluator::set_parallelism(threads, min_nodes) when set; `sorted`: as drift reports them.
  std::optional<std::pair<size_t, size_t>> parallelism;
  bool sorted = true;
};

using V = std::vector<std::string>;

}  // namespace drift::testing
