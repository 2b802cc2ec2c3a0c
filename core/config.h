// drift.yaml (SPEC §2) parsed into typed structs. The loader checks the overall shape and
// every cross-reference (env, service and source names); each source's type-specific fields
// and each rule's expectation/normalizers are validated by their own factories
// (collectors/, rules/), which receive the raw YAML nodes kept here.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "core/result.h"

namespace drift {

using Millis = std::chrono::milliseconds;

enum class Severity : uint8_t { kInfo = 0, kWarning = 1, kCritical = 2 };
std::string_view SeverityName(Severity s);
std::optional<Severity> ParseSeverity(std::string_view s);

// Envs are sets of bits in one 64-bit word where rules are judged (EnvSet).
inline constexpr size_t kMaxEnvironments = 64;

struct EnvironmentConfig {
  std::string name;
  std::vector<std::string> aliases;
  // `vars:` in file order: {NAME} in sources, and what env_vars replaces (SPEC §2, §4).
  std::vector<std::pair<std::string, std::string>> vars;
  Position where;
};

struct SourceConfig {
  std::string name;
  std::string type;  // file | http | sql | exec
  Position where;
  YAML::Node spec;                              // the source's map as written
  std::map<std::string, YAML::Node> overrides;  // env -> fields replacing spec's for that env
  // spec with the env's overrides applied (a fresh node; spec is not modified).
  YAML::Node For(const std::string& env) const;
};

struct ServiceConfig {
  std::string name;
  Position where;
  std::string owner;  // "" when drift.yaml does not say
  Position owner_where;
  std::vector<std::string> envs;  // in `environments` order; all envs when not given
  std::string repo;               // checkout for ownership files ("" = ownership.repos/<name>)
  std::vector<SourceConfig> sources;
  // Discovered services (SPEC §2.2): the generator's name ("" for services listed in
  // drift.yaml); the envs where the baseline has the service and discovery did not find it
  // (one `missing` finding per source, rule `discovery`); and the envs where the generator
  // failed, with why (their sources are unknown, never missing).
  std::string discovered_by;
  std::vector<std::string> discovery_missing;
  std::map<std::string, std::string> discovery_unknown;
  const SourceConfig* source(std::string_view name) const;
};

// A `discover:` generator (SPEC §2.2).
struct DiscoverConfig {
  std::string name;
  Position where;
  std::string type;                  // glob | exec | kubernetes
  std::string path;                  // glob: with {service} (and perhaps {env})
  std::vector<std::string> command;  // exec: argv; with {env} it runs once per env
  Millis timeout{10 * 1000};         // exec, kubernetes
  YAML::Node from;                   // kubernetes: the connection fields, read as a source's
  std::vector<std::string> exclude;  // globs over the names found
  std::string rename_pattern, rename_with;  // RE2: a per-env name -> the service name
  YAML::Node templ;                  // the service entry every name becomes
  ServiceConfig example;             // the template as a service named "example" (validation)
};

struct RuleConfig {
  std::string name;  // "" for ignore entries without a name
  bool ignore = false;
  std::string selector;
  Position where;           // the rule entry
  Position selector_where;  // the match/ignore value
  YAML::Node expect{YAML::NodeType::Undefined};     // undefined: defaults.expect
  YAML::Node normalize{YAML::NodeType::Undefined};  // undefined or a list
  std::optional<Severity> severity;
  std::vector<std::string> services, envs;  // empty = all
  bool redact = false;
  std::string owner, runbook, description;
  // Waivers (ignore entries).
  std::string reason, ticket;
  std::optional<std::chrono::sys_days> expires;
  std::string expires_text;
};

struct DefaultsConfig {
  Millis interval{5 * 60 * 1000};
  Millis timeout{10 * 1000};
  YAML::Node expect{YAML::NodeType::Undefined};  // undefined: equal
  Position expect_where;
  Severity severity = Severity::kWarning;
  int max_concurrency = 32;
  int max_per_host = 4;
  Millis discover_interval{5 * 60 * 1000};  // the daemon re-discovers this often
};

struct AlertingConfig {
  std::string alertmanager_url;  // "" = alerting off
  std::map<std::string, std::string> headers;
  Millis timeout{10 * 1000};
  Millis resend_interval{60 * 1000};
};

struct Config {
  std::string path;  // drift.yaml as given
  std::string dir;   // its directory: relative paths are relative to it
  int version = 1;
  std::vector<EnvironmentConfig> environments;
  std::string baseline;
  DefaultsConfig defaults;
  std::vector<ServiceConfig> services;
  std::vector<DiscoverConfig> discover;
  std::vector<RuleConfig> rules;
  AlertingConfig alerting;
  std::string ownership_repos;  // resolved against dir; "" = none
  std::string listen = "127.0.0.1:9464";
  size_t max_connections = 1000;  // server.max_connections
  std::string api_token;         // may hold ${file:..}/${env:..}; resolved when used
  std::string external_url;      // server.external_url, no trailing /; "" = the listen address
  std::string state_path;        // resolved against dir; "" = no state store
  std::string fingerprint_key;   // may hold ${file:..}/${env:..}
  Position fingerprint_key_where;
  std::vector<std::string> env_names() const;
  int env_index(std::string_view name) const;  // -1 when unknown
  // The env's `vars:` (none for an unknown env).
  const std::vector<std::pair<std::string, std::string>>& env_vars(std::string_view name) const;
  const ServiceConfig* service(std::string_view name) const;
  std::string Resolve(const std::string& relative) const;  // against dir
};

// Loads and checks drift.yaml; every problem goes to diags. The Config is returned even when
// diags has errors (so that later passes can report theirs too); callers must not run it.
std::optional<Config> LoadConfig(const std::string& path, Diagnostics& diags);
// Same, from text (tests); `path` is used in messages and for relative paths.
std::optional<Config> LoadConfigFromString(const std::string& text, const std::string& path,
                                           Diagnostics& diags);

// Adds the service `name` built from `generator`'s template, running in `envs`; the
// template's {service} is the name (owner and repo interpolate it at once, sources when
// collected). Problems go to diags, positioned in the template.
void AddDiscoveredService(Config& config, const DiscoverConfig& generator, const std::string& name,
                          const std::vector<std::string>& envs, Diagnostics& diags);

// Reads the common fields every source type has; the type's factory reads the rest.
inline constexpr std::string_view kCommonSourceKeys[] = {
    "type", "format", "extract", "interval", "timeout", "yaml", "key", "decode", "embedded",
    "embedded_format"};

}  // namespace drift
