#include "core/files.h"
#include "core/config.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/interpolate.h"
#include "core/regex.h"
#include "core/strings.h"
#include "core/yaml_reader.h"

namespace drift {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kCritical: return "critical";
  }
  return "warning";
}

std::optional<Severity> ParseSeverity(std::string_view s) {
  if (s == "info") return Severity::kInfo;
  if (s == "warning") return Severity::kWarning;
  if (s == "critical") return Severity::kCritical;
  return std::nullopt;
}

YAML::Node SourceConfig::For(const std::string& env) const {
  auto it = overrides.find(env);
  // Without overrides the node as written is used, so errors keep their positions.
  if (it == overrides.end() || !it->second.IsMap() || !spec.IsMap()) return spec;
  YAML::Node out(YAML::NodeType::Map);
  for (auto kv = spec.begin(); kv != spec.end(); ++kv) out[kv->first.Scalar()] = kv->second;
  for (auto kv = it->second.begin(); kv != it->second.end(); ++kv)
    out[kv->first.Scalar()] = kv->second;
  return out;
}

const SourceConfig* ServiceConfig::source(std::string_view n) const {
  for (const auto& s : sources)
    if (s.name == n) return &s;
  return nullptr;
}

std::vector<std::string> Config::env_names() const {
  std::vector<std::string> out;
  for (const auto& e : environments) out.push_back(e.name);
  return out;
}

const std::vector<std::pair<std::string, std::string>>& Config::env_vars(
    std::string_view name) const {
  static const std::vector<std::pair<std::string, std::string>> kNone;
  for (const auto& e : environments)
    if (e.name == name) return e.vars;
  return kNone;
}

int Config::env_index(std::string_view name) const {
  for (size_t i = 0; i < environments.size(); ++i)
    if (environments[i].name == name) return static_cast<int>(i);
  return -1;
}

const ServiceConfig* Config::service(std::string_view name) const {
  for (const auto& s : services)
    if (s.name == name) return &s;
  return nullptr;
}

std::string Config::Resolve(const std::string& relative) const {
  if (relative.empty() || relative.starts_with("/") || dir.empty()) return relative;
  return dir + "/" + relative;
}

namespace {

constexpr std::string_view kTopKeys[] = {"version",  "environments", "baseline", "defaults",
                                         "services", "discover",     "rules",    "alerting",
                                         "ownership", "server",      "state",    "secrets"};

class Loader {
 public:
  Loader(Config& c, YamlReader& r) : c_(c), r_(r) {}

  void Run(const YAML::Node& root) {
    if (!root.IsMap()) {
      r_.Error(root, "drift.yaml must be a map with version, environments and services");
      return;
    }
    r_.CheckKeys(root, std::vector<std::string_view>(std::begin(kTopKeys), std::end(kTopKeys)),
                 "drift.yaml");
    if (auto v = Get(root, "version"); v.IsDefined()) {
      auto n = r_.Int(v, "version", 1, 1000);
      if (n && *n != 1) r_.Error(v, "unsupported version " + std::to_string(*n) + " (expected 1)");
    } else {
      r_.Error(root, "missing 'version: 1'");
    }
    Environments(Get(root, "environments"), root);
    Baseline(Get(root, "baseline"));
    Defaults(Get(root, "defaults"));
    Discover(Get(root, "discover"));
    Services(Get(root, "services"), root);
    Rules(Get(root, "rules"));
    Alerting(Get(root, "alerting"));
    Simple(Get(root, "ownership"), "ownership", {{"repos", &c_.ownership_repos}}, true);
    std::string listen, max_connections;
    Simple(Get(root, "server"), "server",
           {{"listen", &listen},
            {"api_token", &c_.api_token},
            {"max_connections", &max_connections},
            {"external_url", &c_.external_url}},
           false);
    if (!c_.external_url.empty()) {
      if (!c_.external_url.starts_with("http://") && !c_.external_url.starts_with("https://"))
        r_.Error(Get(Get(root, "server"), "external_url"),
                 "server.external_url must be an http:// or https:// URL (where people open the "
                 "page)");
      while (c_.external_url.ends_with('/')) c_.external_url.pop_back();
    }
    if (!max_connections.empty())
      if (auto n = r_.Int(Get(Get(root, "server"), "max_connections"), "server.max_connections", 1,
                          1'000'000))
        c_.max_connections = static_cast<size_t>(*n);
    if (!listen.empty()) {
      c_.listen = listen;
      auto colon = listen.rfind(':');
      if (colon == std::string::npos || colon + 1 == listen.size() ||
          listen.find_first_not_of("0123456789", colon + 1) != std::string::npos ||
          listen.size() - colon - 1 > 5 || std::stoi(listen.substr(colon + 1)) > 65535)
        r_.Error(Get(Get(root, "server"), "listen"),
                 "server.listen must be HOST:PORT with a port from 0 to 65535");
    }
    Simple(Get(root, "state"), "state", {{"path", &c_.state_path}}, true);
    Simple(Get(root, "secrets"), "secrets", {{"fingerprint_key", &c_.fingerprint_key}}, false);
    if (!c_.api_token.empty()) r_.CheckTemplate(Get(Get(root, "server"), "api_token"), c_.api_token);
    if (!c_.fingerprint_key.empty()) {
      r_.CheckTemplate(Get(Get(root, "secrets"), "fingerprint_key"), c_.fingerprint_key);
      c_.fingerprint_key_where = r_.Pos(Get(Get(root, "secrets"), "fingerprint_key"));
    }
  }

 private:
  bool KnownEnv(std::string_view e) const { return c_.env_index(e) >= 0; }
  std::string EnvHint(std::string_view e) const {
    std::vector<std::string_view> names;
    for (auto& x : c_.environments) names.push_back(x.name);
    return DidYouMean(e, names);
  }

  void Environments(const YAML::Node& n, const YAML::Node& root) {
    if (!n.IsDefined()) {
      r_.Error(root, "missing 'environments' (e.g. environments: [prod, stage])");
      return;
    }
    if (!n.IsSequence() || n.size() == 0) {
      r_.Error(n, "environments must be a non-empty list");
      return;
    }
    std::set<std::string> seen;
    for (const auto& item : n) {
      EnvironmentConfig e;
      e.where = r_.Pos(item);
      if (item.IsScalar()) {
        e.name = item.Scalar();
      } else if (item.IsMap()) {
        r_.CheckKeys(item, {"name", "aliases", "vars"}, "environment");
        auto name = Get(item, "name");
        if (!name.IsDefined()) {
          r_.Error(item, "environment needs a name");
          continue;
        }
        if (auto s = r_.String(name, "environment name")) e.name = *s;
        if (auto a = Get(item, "aliases"); a.IsDefined()) {
          if (auto l = r_.StringList(a, "aliases")) e.aliases = *l;
        }
        Vars(Get(item, "vars"), e);
      } else {
        r_.Error(item, "an environment is a name or {name: .., aliases: [..], vars: {..}}");
        continue;
      }
      if (e.name.empty() || !IsIdentName(e.name)) {
        r_.Error(item, "invalid environment name '" + e.name + "' (use letters, digits, _ and -)");
        continue;
      }
      if (c_.environments.size() == kMaxEnvironments) {
        r_.Error(item, "at most " + std::to_string(kMaxEnvironments) + " environments are supported");
        break;
      }
      if (!seen.insert(ToLower(e.name)).second) {
        r_.Error(item, "duplicate environment '" + e.name + "'");
        continue;
      }
      for (auto& a : e.aliases) {
        if (!seen.insert(ToLower(a)).second)
          r_.Error(item, "alias '" + a + "' is already an environment name or alias");
      }
      c_.environments.push_back(std::move(e));
    }
  }

  // An env's `vars:`: NAME -> text. Names are words that are not a built-in placeholder.
  void Vars(const YAML::Node& n, EnvironmentConfig& e) {
    if (!n.IsDefined()) return;
    if (!r_.ExpectMap(n, "vars")) return;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->first.IsScalar()) {
        r_.Error(it->first, "var names must be strings");
        continue;
      }
      const std::string& k = it->first.Scalar();
      if (k.starts_with("x-")) continue;
      if (!IsVarName(k)) {
        r_.Error(it->first, "invalid var name '" + k +
                                "' (a letter or _, then letters, digits or _; used as {" + k + "})");
        continue;
      }
      if (IsPlaceholderName(k)) {
        r_.Error(it->first, "var '" + k + "' is reserved: {env}, {ENV}, {service} and {source} "
                            "are built in");
        continue;
      }
      if (!it->second.IsScalar() || it->second.Tag() == "tag:yaml.org,2002:null" ||
          (it->second.Tag() == "?" && (it->second.Scalar() == "~" || it->second.Scalar() == "null"))) {
        r_.Error(it->second, "var '" + k + "' must be a string, number or boolean");
        continue;
      }
      bool dup = false;
      for (const auto& [name, v] : e.vars) dup = dup || name == k;
      if (dup) {
        r_.Error(it->first, "duplicate var '" + k + "'");
        continue;
      }
      if (it->second.Scalar().empty()) {
        r_.Error(it->second, "var '" + k + "' is empty (env_vars could not tell it apart)");
        continue;
      }
      e.vars.emplace_back(k, it->second.Scalar());
    }
  }

  static bool IsIdentName(std::string_view s) {
    for (char c : s)
      if (!IsIdentChar(c)) return false;
    return !s.empty();
  }

  void Baseline(const YAML::Node& n) {
    if (!n.IsDefined()) {
      if (!c_.environments.empty()) c_.baseline = c_.environments[0].name;
      return;
    }
    auto s = r_.String(n, "baseline");
    if (!s) return;
    if (!KnownEnv(*s)) {
      r_.Error(n, "baseline '" + *s + "' is not in environments" + EnvHint(*s));
      return;
    }
    c_.baseline = *s;
  }

  void Defaults(const YAML::Node& n) {
    if (!n.IsDefined()) return;
    if (!r_.ExpectMap(n, "defaults")) return;
    r_.CheckKeys(n, {"interval", "timeout", "expect", "severity", "max_concurrency", "max_per_host",
                     "discover_interval"},
                 "defaults");
    auto& d = c_.defaults;
    if (auto v = Get(n, "interval"); v.IsDefined())
      if (auto x = r_.Duration(v, "defaults.interval")) d.interval = *x;
    if (auto v = Get(n, "timeout"); v.IsDefined())
      if (auto x = r_.Duration(v, "defaults.timeout")) d.timeout = *x;
    if (auto v = Get(n, "expect"); v.IsDefined()) {
      d.expect = v;
      d.expect_where = r_.Pos(v);
    }
    if (auto v = Get(n, "severity"); v.IsDefined()) SeverityField(v, d.severity);
    if (auto v = Get(n, "max_concurrency"); v.IsDefined())
      if (auto x = r_.Int(v, "defaults.max_concurrency", 1, 10000)) d.max_concurrency = int(*x);
    if (auto v = Get(n, "max_per_host"); v.IsDefined())
      if (auto x = r_.Int(v, "defaults.max_per_host", 1, 10000)) d.max_per_host = int(*x);
    if (auto v = Get(n, "discover_interval"); v.IsDefined())
      if (auto x = r_.Duration(v, "defaults.discover_interval")) d.discover_interval = *x;
  }

  // A generator's `from:` (glob, exec); false when it cannot be used.
  bool DiscoverFrom(const YAML::Node& from, DiscoverConfig& d) {
    if (!r_.ExpectMap(from, "from")) return false;
    if (auto t = Get(from, "type"); t.IsDefined()) {
      if (auto x = r_.String(t, "type")) d.type = *x;
    }
    if (d.type == "glob") {
      r_.CheckKeys(from, {"type", "path"}, "discover from (glob)");
      if (auto v = Get(from, "path"); v.IsDefined() && v.IsScalar()) {
        d.path = v.Scalar();
        if (d.path.find("{service}") == std::string::npos)
          r_.Error(v, "a glob path needs {service} where the name is");
        r_.CheckTemplate(v, d.path);
      } else {
        r_.Error(from, "a glob generator needs path: (with {service}, and {env} if per env)");
      }
    } else if (d.type == "exec") {
      r_.CheckKeys(from, {"type", "command", "timeout"}, "discover from (exec)");
      if (auto v = Get(from, "command"); v.IsDefined()) {
        if (auto l = r_.StringList(v, "command"); l && !l->empty()) d.command = *l;
        else r_.Error(v, "command must be a non-empty list (argv, no shell)");
      } else {
        r_.Error(from, "an exec generator needs command: [argv...]");
      }
      if (auto v = Get(from, "timeout"); v.IsDefined())
        if (auto x = r_.Duration(v, "timeout")) d.timeout = *x;
    } else if (d.type == "kubernetes") {
      // The fields of a kubernetes source that say which objects (not `name`: every object
      // of the kind is a service); the collector factory checks their values.
      r_.CheckKeys(from, {"type", "kubeconfig", "context", "kind", "api_version", "namespace",
                          "selector", "qps", "timeout"},
                   "discover from (kubernetes)");
      if (!Get(from, "kind").IsDefined())
        r_.Error(from, "a kubernetes generator needs kind: (Deployment, StatefulSet, …)");
      for (const char* k : {"kubeconfig", "context", "namespace", "selector"})
        if (auto v = Get(from, k); v.IsDefined() && v.IsScalar()) r_.CheckTemplate(v, v.Scalar());
      if (auto v = Get(from, "timeout"); v.IsDefined())
        if (auto x = r_.Duration(v, "timeout")) d.timeout = *x;
      d.from = from;
    } else {
      r_.Error(Get(from, "type").IsDefined() ? Get(from, "type") : from,
               "discover from.type must be glob, exec or kubernetes");
      return false;
    }
    return true;
  }

  // `discover:` generators (SPEC §2.2). Their templates are checked as services named
  // "example" here; the names they find are added by AddDiscoveredService.
  void Discover(const YAML::Node& n) {
    if (!n.IsDefined()) return;
    if (!n.IsSequence()) {
      r_.Error(n, "discover must be a list of generators");
      return;
    }
    std::set<std::string> names;
    for (const auto& item : n) {
      if (!r_.ExpectMap(item, "a discover generator")) continue;
      r_.CheckKeys(item, {"name", "from", "exclude", "rename", "template"}, "discover generator");
      DiscoverConfig d;
      d.where = r_.Pos(item);
      if (auto v = Get(item, "name"); v.IsDefined()) {
        if (auto x = r_.String(v, "name")) d.name = *x;
        if (!names.insert(d.name).second) r_.Error(v, "duplicate discover generator '" + d.name + "'");
      } else {
        r_.Error(item, "a discover generator needs a name");
      }
      const YAML::Node from = Get(item, "from");
      if (!from.IsDefined()) {
        r_.Error(item, "a discover generator needs from: {type: glob|exec|kubernetes, ...}");
        continue;
      }
      if (!DiscoverFrom(from, d)) continue;
      if (auto v = Get(item, "exclude"); v.IsDefined())
        if (auto l = r_.StringList(v, "exclude", true)) d.exclude = *l;
      if (auto v = Get(item, "rename"); v.IsDefined() && r_.ExpectMap(v, "rename")) {
        r_.CheckKeys(v, {"pattern", "with"}, "rename");
        if (auto p = Get(v, "pattern"); p.IsDefined()) {
          if (auto x = r_.String(p, "pattern")) {
            auto re = Regex::Compile(*x);
            if (!re) r_.Error(p, re.error().message);
            d.rename_pattern = *x;
          }
        } else {
          r_.Error(v, "rename needs a pattern");
        }
        if (auto w = Get(v, "with"); w.IsDefined())
          if (auto x = r_.String(w, "with")) d.rename_with = *x;
      }
      d.templ = Get(item, "template");
      if (!d.templ.IsDefined()) {
        r_.Error(item, "a discover generator needs a template (a service entry)");
        continue;
      }
      // The template is a service: checked once, as if a service "example" were found.
      if (auto example = Service("example", d.templ, d.where)) d.example = std::move(*example);
      c_.discover.push_back(std::move(d));
    }
  }

 public:
  // One service from its body (a services: entry, or a discover template).
  std::optional<ServiceConfig> Service(const std::string& name, const YAML::Node& body,
                                       Position where) {
    ServiceConfig s;
    s.name = name;
    s.where = where;
    if (!r_.ExpectMap(body, "service '" + s.name + "'")) return std::nullopt;
    r_.CheckKeys(body, {"owner", "envs", "sources", "overrides", "repo"},
                 "service '" + s.name + "'");
    Placeholders ph{"", name, "", nullptr};
    if (auto v = Get(body, "owner"); v.IsDefined()) {
      if (auto o = r_.String(v, "owner")) s.owner = ExpandPlaceholders(*o, ph);
      s.owner_where = r_.Pos(v);
    }
    if (auto v = Get(body, "repo"); v.IsDefined())
      if (auto o = r_.String(v, "repo")) s.repo = c_.Resolve(ExpandPlaceholders(*o, ph));
    if (auto v = Get(body, "envs"); v.IsDefined()) {
      if (auto l = r_.StringList(v, "envs")) {
        for (size_t i = 0; i < l->size(); ++i) {
          if (!KnownEnv((*l)[i]))
            r_.Error(v[i], "unknown environment '" + (*l)[i] + "'" + EnvHint((*l)[i]));
        }
        for (auto& e : c_.environments)
          if (std::find(l->begin(), l->end(), e.name) != l->end()) s.envs.push_back(e.name);
      }
    } else {
      s.envs = c_.env_names();
    }
    Sources(Get(body, "sources"), body, s);
    Overrides(Get(body, "overrides"), s);
    return s;
  }

 private:

  void SeverityField(const YAML::Node& v, Severity& out) {
    auto s = r_.String(v, "severity");
    if (!s) return;
    auto sev = ParseSeverity(*s);
    if (!sev) {
      std::vector<std::string_view> names{"info", "warning", "critical"};
      r_.Error(v, "unknown severity '" + *s + "' (expected info, warning or critical)" +
                      DidYouMean(*s, names));
      return;
    }
    out = *sev;
  }

  void Services(const YAML::Node& n, const YAML::Node& root) {
    if (!n.IsDefined()) {
      if (c_.discover.empty()) r_.Error(root, "missing 'services' (or 'discover')");
      return;
    }
    if (!r_.ExpectMap(n, "services")) return;
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar().starts_with("x-")) continue;
      ServiceConfig s;
      s.name = it->first.Scalar();
      s.where = r_.Pos(it->first);
      if (!IsIdentName(s.name)) {
        r_.Error(it->first, "invalid service name '" + s.name + "' (use letters, digits, _ and -)");
        continue;
      }
      if (!seen.insert(s.name).second) {
        r_.Error(it->first, "duplicate service '" + s.name + "'");
        continue;
      }
      if (auto svc = Service(s.name, it->second, s.where)) c_.services.push_back(std::move(*svc));
    }
  }

  void Sources(const YAML::Node& n, const YAML::Node& body, ServiceConfig& s) {
    if (!n.IsDefined()) {
      r_.Error(body, "service '" + s.name + "' has no sources");
      return;
    }
    if (!r_.ExpectMap(n, "sources")) return;
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar().starts_with("x-")) continue;
      SourceConfig src;
      src.name = it->first.Scalar();
      src.where = r_.Pos(it->first);
      if (!IsIdentName(src.name)) {
        r_.Error(it->first, "invalid source name '" + src.name + "' (use letters, digits, _ and -)");
        continue;
      }
      if (!seen.insert(src.name).second) {
        r_.Error(it->first, "duplicate source '" + src.name + "'");
        continue;
      }
      src.spec = it->second;
      if (!r_.ExpectMap(src.spec, "source '" + src.name + "'")) continue;
      auto type = Get(src.spec, "type");
      if (!type.IsDefined()) {
        r_.Error(it->first, "source '" + src.name + "' needs a type (file, http, sql or exec)");
        continue;
      }
      auto t = r_.String(type, "type");
      if (!t) continue;
      // Whether drift knows the type is the collectors' registry's to say (LoadProgram).
      src.type = *t;
      CheckTemplates(src.spec, s.envs);
      s.sources.push_back(std::move(src));
    }
  }

  // The var names some env defines (environments are read before any source), computed once.
  const std::vector<std::string>& VarNames() {
    if (!var_names_) {
      var_names_.emplace();
      for (const auto& e : c_.environments)
        for (const auto& [name, v] : e.vars)
          if (std::find(var_names_->begin(), var_names_->end(), name) == var_names_->end())
            var_names_->push_back(name);
    }
    return *var_names_;
  }

  // Every string in a source may use {env}-style placeholders, the envs' {NAME} vars and
  // ${env:}/${file:} secrets. A var must be defined for every env the string is used in.
  void CheckTemplates(const YAML::Node& n, const std::vector<std::string>& envs,
                      bool top = true) {
    if (n.IsScalar()) {
      const std::vector<std::string>& defined = VarNames();
      r_.CheckTemplate(n, n.Scalar(), defined);
      for (const auto& var : TemplateVars(n.Scalar())) {
        if (std::find(defined.begin(), defined.end(), var) == defined.end()) continue;
        for (const auto& env : envs) {
          const EnvVars& vars = c_.env_vars(env);
          bool has = std::any_of(vars.begin(), vars.end(),
                                 [&](const auto& kv) { return kv.first == var; });
          if (!has) r_.Error(n, "{" + var + "} is not defined for environment '" + env +
                                    "' (add it to that environment's vars)");
        }
      }
    } else if (n.IsSequence()) {
      for (const auto& item : n) CheckTemplates(item, envs, false);
    } else if (n.IsMap()) {
      // x- keys of the source itself are ignored; inside its data (headers) they are data.
      for (auto it = n.begin(); it != n.end(); ++it)
        if (!top || !it->first.Scalar().starts_with("x-")) CheckTemplates(it->second, envs, false);
    }
  }

  void Overrides(const YAML::Node& n, ServiceConfig& s) {
    if (!n.IsDefined()) return;
    if (!r_.ExpectMap(n, "overrides")) return;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (it->first.Scalar().starts_with("x-")) continue;
      std::string env = it->first.Scalar();
      if (!KnownEnv(env)) {
        r_.Error(it->first, "unknown environment '" + env + "' in overrides" + EnvHint(env));
        continue;
      }
      if (!r_.ExpectMap(it->second, "overrides." + env)) continue;
      for (auto so = it->second.begin(); so != it->second.end(); ++so) {
        std::string sname = so->first.Scalar();
        SourceConfig* src = nullptr;
        for (auto& x : s.sources)
          if (x.name == sname) src = &x;
        if (!src) {
          std::vector<std::string_view> names;
          for (auto& x : s.sources) names.push_back(x.name);
          r_.Error(so->first, "unknown source '" + sname + "' in overrides of service '" + s.name +
                                  "'" + DidYouMean(sname, names));
          continue;
        }
        if (!r_.ExpectMap(so->second, "override of source '" + sname + "'")) continue;
        if (Has(so->second, "type"))
          r_.Error(Get(so->second, "type"), "an override cannot change a source's type");
        CheckTemplates(so->second, {env});
        src->overrides[env] = so->second;
      }
    }
  }

  void Rules(const YAML::Node& n) {
    if (!n.IsDefined()) return;
    if (!n.IsSequence()) {
      r_.Error(n, "rules must be a list");
      return;
    }
    std::set<std::string> names;
    for (const auto& item : n)
      if (auto rule = Rule(item, names)) c_.rules.push_back(std::move(*rule));
  }

  std::optional<RuleConfig> Rule(const YAML::Node& item, std::set<std::string>& names) {
    if (!r_.ExpectMap(item, "a rule")) return std::nullopt;
    RuleConfig rule;
    rule.where = r_.Pos(item);
    r_.CheckKeys(item,
                 {"name", "match", "ignore", "expect", "severity", "services", "envs",
                  "normalize", "redact", "owner", "runbook", "description", "reason", "ticket",
                  "expires"},
                 "rule");
    auto match = Get(item, "match");
    auto ignore = Get(item, "ignore");
    if (match.IsDefined() == ignore.IsDefined()) {
      r_.Error(item, "a rule needs exactly one of 'match' or 'ignore'");
      return std::nullopt;
    }
    rule.ignore = ignore.IsDefined();
    const YAML::Node& sel = rule.ignore ? ignore : match;
    if (auto s = r_.String(sel, rule.ignore ? "ignore" : "match")) rule.selector = *s;
    rule.selector_where = r_.Pos(sel);
    if (auto v = Get(item, "name"); v.IsDefined()) {
      if (auto s = r_.String(v, "name")) {
        rule.name = *s;
        if (rule.name == "default")
          r_.Error(v, "'default' is reserved for paths no rule matches");
        else if (!names.insert(rule.name).second)
          r_.Error(v, "duplicate rule name '" + rule.name + "'");
      }
    } else if (!rule.ignore) {
      r_.Error(item, "a match rule needs a name (it labels findings, alerts and finding ids)");
    }
    if (auto v = Get(item, "expect"); v.IsDefined()) {
      if (rule.ignore) r_.Error(v, "an ignore entry takes no 'expect'");
      rule.expect = v;
    }
    if (auto v = Get(item, "normalize"); v.IsDefined()) rule.normalize = v;
    if (auto v = Get(item, "severity"); v.IsDefined()) {
      Severity sev = Severity::kWarning;
      SeverityField(v, sev);
      rule.severity = sev;
    }
    RuleScope(item, rule);
    if (auto v = Get(item, "redact"); v.IsDefined())
      if (auto b = r_.Bool(v, "redact")) rule.redact = *b;
    auto str = [&](const char* key, std::string& out) {
      if (auto v = Get(item, key); v.IsDefined())
        if (auto s = r_.String(v, key)) out = *s;
    };
    str("owner", rule.owner);
    str("runbook", rule.runbook);
    str("description", rule.description);
    str("reason", rule.reason);
    str("ticket", rule.ticket);
    if (auto v = Get(item, "expires"); v.IsDefined()) {
      if (!rule.ignore) r_.Error(v, "'expires' applies to ignore entries (waivers)");
      if (auto s = r_.String(v, "expires")) {
        rule.expires_text = *s;
        if (auto d = ParseDate(*s)) rule.expires = *d;
        else r_.Error(v, "expires must be a date YYYY-MM-DD, got '" + *s + "'");
      }
    }
    return rule;
  }

  // A rule's `services` and `envs`, each name checked against the config.
  void RuleScope(const YAML::Node& item, RuleConfig& rule) {
    if (auto v = Get(item, "services"); v.IsDefined()) {
      if (auto l = r_.StringList(v, "services", true)) {
        rule.services = *l;
        std::vector<std::string_view> known;
        for (auto& s : c_.services) known.push_back(s.name);
        for (size_t i = 0; i < l->size(); ++i) {
          // With generators, a name may be one they find: only they can tell.
          if (!c_.service((*l)[i]) && c_.discover.empty())
            r_.Error(v.IsSequence() ? v[i] : v,
                     "unknown service '" + (*l)[i] + "'" + DidYouMean((*l)[i], known));
        }
      }
    }
    if (auto v = Get(item, "envs"); v.IsDefined()) {
      if (auto l = r_.StringList(v, "envs", true)) {
        rule.envs = *l;
        for (size_t i = 0; i < l->size(); ++i) {
          if (!KnownEnv((*l)[i]))
            r_.Error(v.IsSequence() ? v[i] : v,
                     "unknown environment '" + (*l)[i] + "'" + EnvHint((*l)[i]));
        }
      }
    }
  }

  static std::optional<std::chrono::sys_days> ParseDate(const std::string& s) {
    int y, m, d;
    char extra;
    if (s.size() != 10 || std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3)
      return std::nullopt;
    std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(unsigned(m)),
                                    std::chrono::day(unsigned(d))};
    if (!ymd.ok()) return std::nullopt;
    return std::chrono::sys_days(ymd);
  }

  void Alerting(const YAML::Node& n) {
    if (!n.IsDefined()) return;
    if (!r_.ExpectMap(n, "alerting")) return;
    r_.CheckKeys(n, {"alertmanager", "resend_interval"}, "alerting");
    if (auto am = Get(n, "alertmanager"); am.IsDefined() && r_.ExpectMap(am, "alertmanager")) {
      r_.CheckKeys(am, {"url", "headers", "timeout"}, "alerting.alertmanager");
      if (auto u = Get(am, "url"); u.IsDefined()) {
        if (auto s = r_.String(u, "url")) {
          c_.alerting.alertmanager_url = *s;
          if (!s->starts_with("http://") && !s->starts_with("https://"))
            r_.Error(u, "alertmanager url must start with http:// or https://");
        }
      } else {
        r_.Error(am, "alerting.alertmanager needs a url");
      }
      if (auto h = Get(am, "headers"); h.IsDefined() && r_.ExpectMap(h, "headers")) {
        for (auto it = h.begin(); it != h.end(); ++it)
          if (auto s = r_.String(it->second, "header value")) {
            c_.alerting.headers[it->first.Scalar()] = *s;
            r_.CheckTemplate(it->second, *s);
          }
      }
      if (auto t = Get(am, "timeout"); t.IsDefined())
        if (auto d = r_.Duration(t, "timeout")) c_.alerting.timeout = *d;
    }
    if (auto v = Get(n, "resend_interval"); v.IsDefined())
      if (auto d = r_.Duration(v, "resend_interval")) c_.alerting.resend_interval = *d;
  }

  // A section of plain string fields; `path_like` fields are resolved against the config dir.
  void Simple(const YAML::Node& n, std::string_view section,
              std::initializer_list<std::pair<std::string_view, std::string*>> fields,
              bool path_like) {
    if (!n.IsDefined()) return;
    if (!r_.ExpectMap(n, section)) return;
    std::vector<std::string_view> allowed;
    for (auto& [k, _] : fields) allowed.push_back(k);
    r_.CheckKeys(n, allowed, section);
    for (auto& [k, out] : fields) {
      if (auto v = Get(n, k); v.IsDefined())
        if (auto s = r_.String(v, std::string(section) + "." + std::string(k)))
          *out = path_like ? c_.Resolve(*s) : *s;
    }
  }

  Config& c_;
  YamlReader& r_;
  std::optional<std::vector<std::string>> var_names_;  // VarNames()
};

std::string DirOf(const std::string& path) {
  auto p = std::filesystem::path(path).parent_path().string();
  return p.empty() ? "." : p;
}

// Resolves YAML merge keys (`<<: *base`, `<<: [*a, *b]`) in place, as YAML 1.1 loaders do
// (yaml-cpp keeps `<<` as a plain key): keys written in the map win, then the merged maps in
// order. Merged nodes are shared, not copied, so their positions stay for error messages.
// `budget` bounds the nodes visited: aliases are shared, so a chain of them (a "billion
// laughs" file) would otherwise be walked an exponential number of times.
bool ResolveMergeKeys(YAML::Node node, YamlReader& r, size_t& budget, int depth = 0) {
  if (depth > 100) {
    r.Error(node, "drift.yaml nests deeper than 100 levels (a recursive alias?)");
    return false;
  }
  if (budget == 0) {
    r.Error(node, "drift.yaml expands to more than 1,000,000 nodes (aliases of aliases?)");
    return false;
  }
  --budget;
  if (node.IsSequence()) {
    for (auto item : node)
      if (!ResolveMergeKeys(item, r, budget, depth + 1)) return false;
    return true;
  }
  if (!node.IsMap()) return true;
  for (auto it = node.begin(); it != node.end(); ++it)
    if (!ResolveMergeKeys(it->second, r, budget, depth + 1)) return false;
  const YAML::Node merge = static_cast<const YAML::Node&>(node)["<<"];
  if (!merge.IsDefined()) return true;
  std::vector<YAML::Node> sources;
  if (merge.IsMap()) sources.push_back(merge);
  else if (merge.IsSequence())
    for (const auto& m : merge) sources.push_back(m);
  for (const auto& m : sources) {
    if (!m.IsMap()) {
      r.Error(m, "a merge key (<<) takes a map or a list of maps");
      node.remove("<<");
      return true;
    }
  }
  node.remove("<<");
  for (const auto& m : sources) {
    for (auto it = m.begin(); it != m.end(); ++it) {
      if (!it->first.IsScalar() || Get(node, it->first.Scalar()).IsDefined()) continue;
      node.force_insert(it->first, it->second);
    }
  }
  return true;
}

}  // namespace

std::optional<Config> LoadConfigFromString(const std::string& text, const std::string& path,
                                           Diagnostics& diags) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    diags.Error(Position{path, static_cast<uint32_t>(e.mark.line + 1),
                         static_cast<uint32_t>(e.mark.column + 1)},
                "YAML parse error: " + e.msg);
    return std::nullopt;
  }
  Config c;
  c.path = path;
  c.dir = DirOf(path);
  YamlReader reader(path, diags);
  try {
    size_t budget = 1'000'000;
    if (ResolveMergeKeys(root, reader, budget)) Loader(c, reader).Run(root);
  } catch (const YAML::Exception& e) {  // yaml-cpp is contained here: report, do not crash
    diags.Error(Position{path, static_cast<uint32_t>(e.mark.line + 1),
                         static_cast<uint32_t>(e.mark.column + 1)},
                e.msg);
  }
  return c;
}

std::optional<Config> LoadConfig(const std::string& path, Diagnostics& diags) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) {
    // "cannot read config file: <cause>", positioned at the file.
    std::string cause = text.error().message.substr(text.error().message.rfind(": ") + 2);
    diags.Error(Position{path, 0, 0}, "cannot read config file: " + cause);
    return std::nullopt;
  }
  return LoadConfigFromString(*text, path, diags);
}

void AddDiscoveredService(Config& config, const DiscoverConfig& generator, const std::string& name,
                          const std::vector<std::string>& envs, Diagnostics& diags) {
  YamlReader reader(config.path, diags);
  auto svc = Loader(config, reader).Service(name, generator.templ, generator.where);
  if (!svc) return;
  // The template's envs (all by default) where the service was found or is unknown.
  std::vector<std::string> keep;
  for (const auto& e : svc->envs)
    if (std::find(envs.begin(), envs.end(), e) != envs.end()) keep.push_back(e);
  svc->envs = std::move(keep);
  svc->discovered_by = generator.name;
  config.services.push_back(std::move(*svc));
}

}  // namespace drift
