#include "rules/ruleset.h"

#include <algorithm>

#include "core/strings.h"
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

namespace {

bool InScope(const std::vector<std::string>& outer, const std::vector<std::string>& inner) {
  if (outer.empty()) return true;
  if (inner.empty()) return false;
  for (const auto& s : inner)
    if (std::find(outer.begin(), outer.end(), s) == outer.end()) return false;
  return true;
}

// The part of a selector's text that names its first segment ("settings" in
// "settings.FEATURES.*").
std::string FirstSegment(const std::string& selector) {
  size_t end = selector.find_first_of(".[");
  return selector.substr(0, end);
}

// Whether every node `inner` matches lies in the subtree of a node `outer` matches: the same
// text, or `outer`'s text followed by more segments.
bool Covers(const std::string& outer, const std::string& inner) {
  if (inner == outer) return true;
  return inner.size() > outer.size() && inner.starts_with(outer) &&
         (inner[outer.size()] == '.' || inner[outer.size()] == '[');
}

// SPEC §2: warnings for rules that can never apply.
void WarnNeverApplying(const Config& config, const RuleSet& set,
                       const std::vector<const RuleConfig*>& written, Diagnostics& diags) {
  for (size_t i = 0; i < set.rules.size(); ++i) {
    const CompiledRule& r = set.rules[i];
    const RuleConfig& rc = *written[i];
    // 1. The first segment must name a source of some service in the rule's scope.
    std::vector<std::string_view> sources;
    bool any = false;
    for (const auto& svc : config.services) {
      if (!r.applies_to_service(svc.name)) continue;
      for (const auto& src : svc.sources) {
        sources.push_back(src.name);
        StepView step{StepView::Kind::kKey, src.name, 0, {}, nullptr, nullptr};
        if (r.selector.Step(r.selector.Start(), step) != 0) any = true;
      }
    }
    // Services a generator makes have its template's sources (their names are not known yet).
    for (const auto& d : config.discover) {
      for (const auto& src : d.example.sources) {
        sources.push_back(src.name);
        StepView step{StepView::Kind::kKey, src.name, 0, {}, nullptr, nullptr};
        if (r.selector.Step(r.selector.Start(), step) != 0) any = true;
      }
    }
    bool known_scope = r.services.empty();
    for (const auto& name : r.services) known_scope = known_scope || config.service(name);
    if (!config.discover.empty()) known_scope = r.services.empty();
    if (!any && known_scope && !config.services.empty()) {
      std::string first = FirstSegment(rc.selector);
      diags.Warning(rc.selector_where,
                    "'" + rc.selector + "' can never apply: '" + first + "' is no source of " +
                        (r.services.empty() ? std::string("any service")
                                            : "services " + Join(r.services, ", ")) +
                        DidYouMean(first, sources));
      continue;
    }
    if (r.ignore) continue;
    // 2. An earlier rule with the same selector and a scope holding this one's, or an ignore
    // (that does not expire) covering it, always wins.
    for (size_t j = 0; j < set.rules.size(); ++j) {
      const CompiledRule& o = set.rules[j];
      const RuleConfig& oc = *written[j];
      if (j == i || (o.envs & r.envs) != r.envs || !InScope(o.services, r.services)) continue;
      std::string who = o.ignore ? "the ignore" : "rule '" + o.name + "'";
      std::string at = " at line " + std::to_string(oc.where.line);
      if (o.ignore && !o.expires && Covers(oc.selector, rc.selector)) {
        diags.Warning(rc.where, "rule '" + r.name + "' never judges anything: " + who + " '" +
                                    oc.selector + "'" + at + " skips every node it matches");
        break;
      }
      if (!o.ignore && j < i && oc.selector == rc.selector) {
        diags.Warning(rc.where, "rule '" + r.name + "' never judges anything: " + who + at +
                                    " has the same selector and scope and comes first");
        break;
      }
    }
  }
}

}  // namespace

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

  std::vector<const RuleConfig*> compiled;  // compiled[i] wrote set->rules[i]
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
    compiled.push_back(&rc);
  }
  WarnNeverApplying(config, *set, compiled, diags);
  return set;
}

}  // namespace drift
