#include "rules/ruleset.h"

#include <algorithm>

#include "core/yaml_reader.h"

namespace drift {

bool CompiledRule::applies_to_service(const std::string& service) const {
  return services.empty() || std::find(services.begin(), services.end(), service) != services.end();
}

size_t RuleSet::expired_waivers(std::chrono::sys_days today) const {
  size_t n = 0;
  for (const auto& r : rules) n += r.ignore && r.expired(today) ? 1 : 0;
  return n;
}

std::chrono::sys_days Today() {
  return std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
}

std::shared_ptr<const RuleSet> CompileRules(const Config& config, Diagnostics& diags,
                                            std::chrono::sys_days today) {
  auto set = std::make_shared<RuleSet>();
  YamlReader reader(config.path, diags);
  std::vector<std::string> envs = config.env_names();

  set->defaults.name = "default";
  set->defaults.severity = config.defaults.severity;
  if (config.defaults.expect.IsDefined()) {
    set->defaults.expect = MakeExpectation(config.defaults.expect, reader, envs);
  } else {
    set->defaults.expect = MakeEqual();
  }
  if (!set->defaults.expect) set->defaults.expect = MakeEqual();

  for (const auto& rc : config.rules) {
    CompiledRule r;
    r.name = rc.name;
    r.ignore = rc.ignore;
    r.where = rc.where;
    auto sel = Selector::Compile(rc.selector);
    if (!sel.ok()) {
      diags.Error(rc.selector_where, sel.error().message);
      continue;
    }
    r.selector = std::move(*sel);
    r.services = rc.services;
    if (!rc.envs.empty()) {
      r.envs = 0;
      for (const auto& e : rc.envs) {
        int i = config.env_index(e);
        if (i >= 0) r.envs |= EnvSet{1} << i;
      }
    }
    r.severity = rc.severity.value_or(config.defaults.severity);
    r.owner = rc.owner;
    r.runbook = rc.runbook;
    r.description = rc.description;
    r.redact = rc.redact;
    r.reason = rc.reason;
    r.ticket = rc.ticket;
    r.expires = rc.expires;
    r.expires_text = rc.expires_text;
    if (!r.ignore) {
      r.expect = rc.expect.IsDefined() ? MakeExpectation(rc.expect, reader, envs)
                                       : set->defaults.expect;
      if (!r.expect) continue;
      r.normalizers = MakeNormalizers(rc.normalize, reader);
    } else if (rc.normalize.IsDefined()) {
      reader.Error(rc.normalize, "an ignore entry takes no 'normalize'");
    }
    if (r.ignore && r.expired(today))
      diags.Warning(rc.where, "waiver for '" + rc.selector + "' expired on " + rc.expires_text +
                                  "; its findings are reported again");
    set->rules.push_back(std::move(r));
  }
  return set;
}

}  // namespace drift
