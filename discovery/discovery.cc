#include "discovery/discovery.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "collectors/builtin.h"
#include "collectors/runtime.h"
#include "core/interpolate.h"
#include "core/parse.h"
#include "core/regex.h"
#include "core/strings.h"

namespace drift {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxNames = 100'000;  // per generator and env: more is a mistake

// "{service}" -> a capture, "*" -> any run within one path component, the rest literal.
std::string GlobToRegex(std::string_view pattern) {
  std::string re = "^";
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern.substr(i).starts_with("{service}")) {
      re += "([^/]+)";
      i += std::string_view("{service}").size() - 1;
    } else if (pattern[i] == '*') {
      re += "[^/]*";
    } else {
      re += Regex::Escape(pattern.substr(i, 1));
    }
  }
  return re + "$";
}

// Names from the files matching `pattern` (already expanded for the env, still with
// {service}), relative to `dir`.
EnvListing GlobNames(const std::string& dir, const std::string& pattern) {
  std::string absolute = pattern.starts_with("/") ? pattern : dir + "/" + pattern;
  // Walk from the deepest directory without a wildcard.
  size_t wild = std::min(absolute.find('*'), absolute.find("{service}"));
  size_t slash = absolute.rfind('/', wild);
  std::string root = absolute.substr(0, slash == std::string::npos ? 0 : slash);
  if (root.empty()) root = "/";
  auto re = Regex::Compile(GlobToRegex(absolute));
  if (!re) return MakeError("glob " + pattern + ": " + re.error().message);
  size_t depth = static_cast<size_t>(std::count(absolute.begin() + static_cast<long>(root.size()),
                                                absolute.end(), '/'));
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    return MakeError("glob " + pattern + ": directory " + root + " does not exist");
  std::set<std::string> names;
  // A directory that cannot be read is a failure (unknown), never "no services there";
  // symlinked directories are followed (the depth bound keeps loops finite).
  fs::recursive_directory_iterator it(root, fs::directory_options::follow_directory_symlink, ec),
      end;
  if (ec) return MakeError("glob " + pattern + ": cannot list " + root + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (static_cast<size_t>(it.depth()) + 1 >= depth) it.disable_recursion_pending();
    std::string group;
    if (re->FullMatch(it->path().string()) && re->Search(it->path().string(), &group))
      names.insert(group);
    if (names.size() > kMaxNames) return MakeError("glob " + pattern + " matches over 100,000 names");
  }
  // An error ends the iteration (the iterator becomes `end`): the listing is incomplete.
  if (ec) return MakeError("glob " + pattern + ": cannot list below " + root + ": " + ec.message());
  return std::vector<std::string>(names.begin(), names.end());
}

// A generator's listing as a source of the type `spec` names, in one env.
std::unique_ptr<Collector> GeneratorCollector(const Config& config, const DiscoverConfig& d,
                                              const std::string& env, YAML::Node spec,
                                              YamlReader& reader) {
  ServiceConfig svc;
  svc.name = d.name;
  SourceConfig src;
  src.name = "discover";
  src.type = spec["type"].Scalar();
  src.spec = std::move(spec);
  return MakeCollector(SourceContext{config, svc, src, env}, reader);
}

// Names from a command's output: a JSON list of strings, or one name per line.
EnvListing ExecNames(const Config& config, const DiscoverConfig& d, const std::string& env) {
  // The command runs as an exec source would (timeout, no shell, no leftovers), read as lines
  // unless it prints JSON.
  YAML::Node spec(YAML::NodeType::Map);
  spec["type"] = "exec";
  YAML::Node argv(YAML::NodeType::Sequence);
  for (const auto& a : d.command) argv.push_back(a);
  spec["command"] = argv;
  spec["timeout"] = FormatDuration(d.timeout);
  spec["format"] = "lines";
  Diagnostics diags;
  YamlReader reader(config.path, diags);
  auto collector = GeneratorCollector(config, d, env, spec, reader);
  if (!collector) return MakeError("discover " + d.name + ": cannot run the command");
  auto doc = CollectOnce(*collector);
  if (!doc.ok()) return doc.error();
  std::vector<std::string> names;
  for (const Entry& e : doc->children(doc->root())) names.emplace_back(doc->str(e.value));
  if (!names.empty() && names[0].starts_with("[")) {
    // A JSON list of strings rather than lines.
    ParseOptions po;
    po.format = Format::kJson;
    po.origin = d.command[0] + " (stdout)";
    auto json = ParseDocument(Join(names, "\n"), po);
    if (!json.ok()) return json.error();
    names.clear();
    if (json->type(json->root()) != Type::kList)
      return MakeError(d.command[0] + " printed neither names (one per line) nor a JSON list");
    for (const Entry& e : json->children(json->root())) {
      if (json->type(e.value) != Type::kString)
        return MakeError(d.command[0] + " printed a list with something other than strings");
      names.emplace_back(json->str(e.value));
    }
  }
  if (names.size() > kMaxNames) return MakeError(d.command[0] + " printed over 100,000 names");
  return names;
}

// The kubernetes generator's `from:` as a kubernetes source listing every object of its kind.
std::unique_ptr<Collector> KubeLister(const Config& config, const DiscoverConfig& d,
                                      const std::string& env, YamlReader& reader) {
  YAML::Node spec(YAML::NodeType::Map);
  for (auto it = d.from.begin(); it != d.from.end(); ++it)
    if (it->first.Scalar() != "timeout") spec[it->first.Scalar()] = YAML::Clone(it->second);
  spec["type"] = "kubernetes";
  spec["timeout"] = FormatDuration(d.timeout);
  return GeneratorCollector(config, d, env, spec, reader);
}

// Names of the objects a kubernetes generator lists in one env's cluster.
EnvListing KubeNames(const Config& config, const DiscoverConfig& d, const std::string& env) {
  Diagnostics diags;
  YamlReader reader(config.path, diags);
  auto collector = KubeLister(config, d, env, reader);
  if (!collector) return MakeError("discover " + d.name + ": invalid kubernetes generator");
  auto doc = CollectOnce(*collector);
  if (!doc.ok()) return doc.error();
  std::vector<std::string> names;
  if (doc->root() != kNoNode)
    for (const Entry& e : doc->children(doc->root())) names.emplace_back(doc->key(e.key));
  if (names.size() > kMaxNames) return MakeError("discover " + d.name + " found over 100,000 objects");
  return names;
}

// Exclusions and the per-env rename, then sorted and unique.
std::vector<std::string> Finish(const DiscoverConfig& d, std::vector<std::string> names) {
  std::optional<Regex> rename;
  if (!d.rename_pattern.empty())
    if (auto re = Regex::Compile(d.rename_pattern)) rename = std::move(*re);
  std::set<std::string> out;
  for (auto& n : names) {
    if (n.empty()) continue;
    bool excluded = false;
    for (const auto& x : d.exclude) excluded = excluded || GlobMatch(x, n);
    if (excluded) continue;
    if (rename && rename->Search(n)) n = rename->ReplaceAll(n, d.rename_with);
    if (!n.empty()) out.insert(n);
  }
  return std::vector<std::string>(out.begin(), out.end());
}

}  // namespace

Discovery Discover(const Config& config, const Discovery* previous) {
  Discovery out;
  for (const auto& d : config.discover) {
    GeneratorFindings g;
    g.generator = d.name;
    // Per env when the generator names {env} or an env's var; else one listing for all.
    auto varies = [](const std::string& t) {
      return t.find("{env}") != std::string::npos || t.find("{ENV}") != std::string::npos ||
             !TemplateVars(t).empty();
    };
    bool per_env = false;
    if (d.type == "glob") {
      per_env = varies(d.path);
    } else if (d.type == "kubernetes") {
      for (auto it = d.from.begin(); it != d.from.end(); ++it) {
        if (it->second.IsScalar() && varies(it->second.Scalar())) per_env = true;
        if (it->second.IsMap())  // selector: {tier: "{env}"}
          for (auto kv = it->second.begin(); kv != it->second.end(); ++kv)
            if (kv->second.IsScalar() && varies(kv->second.Scalar())) per_env = true;
      }
    } else {
      per_env = std::any_of(d.command.begin(), d.command.end(), varies);
    }
    std::optional<EnvListing> shared;
    for (const auto& env : config.env_names()) {
      EnvListing names = MakeError("");
      if (!per_env && shared) {
        names = *shared;
      } else {
        if (d.type == "glob") {
          // {env} and the env's vars expanded, {service} kept for the match.
          Placeholders ph{env, "{service}", "", &config.env_vars(env)};
          names = GlobNames(config.dir, ExpandPlaceholders(d.path, ph));
        } else if (d.type == "kubernetes") {
          names = KubeNames(config, d, env);
        } else {
          names = ExecNames(config, d, env);
        }
        if (!per_env) shared = names;
      }
      if (names.ok()) names = Finish(d, std::move(*names));
      if (!names.ok() && previous) {
        // The daemon keeps the last good list of a generator-env that fails now.
        for (const auto& pg : previous->generators) {
          if (pg.generator != d.name) continue;
          auto it = pg.by_env.find(env);
          if (it != pg.by_env.end() && it->second.ok()) names = it->second;
        }
      }
      g.by_env.emplace(env, std::move(names));
    }
    out.generators.push_back(std::move(g));
  }
  return out;
}

void CheckGenerators(const Config& config, Diagnostics& diags) {
  YamlReader reader(config.path, diags);
  for (const auto& d : config.discover)
    if (d.type == "kubernetes")
      for (const auto& env : config.env_names())
        if (!KubeLister(config, d, env, reader) || diags.has_errors()) return;
}

void ApplyDiscovery(Config& config, const Discovery& discovery, Diagnostics& diags) {
  std::set<std::string> taken;
  for (const auto& s : config.services) taken.insert(s.name);
  std::vector<std::string> envs = config.env_names();
  for (size_t gi = 0; gi < discovery.generators.size() && gi < config.discover.size(); ++gi) {
    const DiscoverConfig& d = config.discover[gi];
    const GeneratorFindings& g = discovery.generators[gi];
    // name -> envs found in; the envs whose listing failed.
    std::map<std::string, std::set<std::string>> found;
    std::map<std::string, std::string> failed;
    for (const auto& env : envs) {
      auto it = g.by_env.find(env);
      if (it == g.by_env.end()) continue;
      if (!it->second.ok()) {
        failed[env] = "discovery " + d.name + " failed: " + it->second.error().ToString();
        continue;
      }
      for (const auto& n : *it->second) found[n].insert(env);
    }
    for (const auto& [name, in] : found) {
      if (!taken.insert(name).second) continue;  // listed in drift.yaml, or found earlier
      // Not starting with '-': a name may end up in a command's argv ({service}).
      bool valid = !name.empty() && name[0] != '-';
      for (char c : name) valid = valid && IsIdentChar(c);
      if (!valid) {
        diags.Warning(d.where, "discover " + d.name + ": '" + name +
                                   "' is not a service name (letters, digits, _ and -, not "
                                   "starting with -); skipped");
        continue;
      }
      std::vector<std::string> run;
      for (const auto& env : envs)
        if (in.count(env) || failed.count(env)) run.push_back(env);
      size_t before = config.services.size();
      AddDiscoveredService(config, d, name, run, diags);
      if (config.services.size() == before) continue;
      ServiceConfig& s = config.services.back();
      for (const auto& env : s.envs)
        if (failed.count(env)) s.discovery_unknown[env] = failed[env];
      // Runs in the baseline but not found in an env the template covers: missing there.
      bool baseline_has = in.count(config.baseline) > 0;
      if (baseline_has) {
        for (const auto& env : envs) {
          if (in.count(env) || failed.count(env)) continue;
          // Within the template's envs (all when it names none), as parsed once.
          const auto& within = d.example.envs;
          if (std::find(within.begin(), within.end(), env) != within.end())
            s.discovery_missing.push_back(env);
        }
      }
    }
  }
}

std::vector<DiscoveryFailure> DiscoveryFailures(const Config& config, const Discovery& discovery) {
  std::vector<DiscoveryFailure> out;
  for (const auto& g : discovery.generators)
    for (const auto& env : config.env_names())
      if (auto it = g.by_env.find(env); it != g.by_env.end() && !it->second.ok())
        out.push_back(DiscoveryFailure{g.generator, env,
                                       "discovery " + g.generator + " failed: " +
                                           it->second.error().ToString()});
  return out;
}

std::vector<std::string> DescribeDiscovery(const Config& config, const Discovery& discovery) {
  std::vector<std::string> out;
  for (const auto& g : discovery.generators) {
    for (const auto& env : config.env_names()) {
      auto it = g.by_env.find(env);
      if (it == g.by_env.end()) continue;
      if (!it->second.ok()) {
        out.push_back("discover " + g.generator + " in " + env + ": failed: " +
                      it->second.error().ToString());
        continue;
      }
      const auto& names = *it->second;
      out.push_back("discover " + g.generator + " in " + env + ": " +
                    std::to_string(names.size()) + (names.size() == 1 ? " service" : " services") +
                    (names.empty() ? "" : ": " + Join(names, ", ")));
    }
  }
  return out;
}

}  // namespace drift
