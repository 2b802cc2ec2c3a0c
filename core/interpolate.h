// Interpolation in config strings (SPEC §2): {env} {ENV} {service} {source} expand when a
// source is expanded per env; ${env:NAME} and ${file:PATH} are secrets resolved at
// collection time and never logged.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace drift {

using EnvVars = std::vector<std::pair<std::string, std::string>>;  // NAME -> value, in order

struct Placeholders {
  std::string env, service, source;
  const EnvVars* vars = nullptr;  // the env's `vars:`, for {NAME}
};

// {env}, {ENV}, {service}, {source}: what every source may use.
bool IsPlaceholderName(std::string_view name);
// A var's name: a letter or _, then letters, digits or _.
bool IsVarName(std::string_view name);
// nullopt when the template is well-formed, else what is wrong with it. `vars`: the names
// some env defines ({NAME} with any other word is an unknown placeholder).
std::optional<std::string> CheckTemplate(std::string_view s,
                                         const std::vector<std::string>& vars = {});
// The var names a template uses as {NAME} (built-in placeholders not included).
std::vector<std::string> TemplateVars(std::string_view s);
std::string ExpandPlaceholders(std::string_view s, const Placeholders& p);
bool HasSecretRefs(std::string_view s);
// Resolves ${env:NAME} and ${file:PATH} (PATH relative to base_dir). Errors name the variable
// or file, never a value.
Result<std::string> ResolveSecretRefs(std::string_view s, const std::string& base_dir);
// The ${env:NAME}/${file:PATH} references in s (after placeholder expansion).
struct SecretRef {
  bool is_file;
  std::string name;
};
std::vector<SecretRef> SecretRefs(std::string_view s);

// Replaces every occurrence of each secret value (3+ characters) in a message by "***".
std::string ScrubSecrets(std::string message, const std::vector<std::string>& secrets);
// Appends to `out` what ResolveSecretRefs put into `resolved` for the ${env:}/${file:}
// references of `tmpl` (each env value, and the part of `resolved` that differs from the
// template), for ScrubSecrets. Nothing when the template has no reference.
void CollectResolvedSecrets(const std::string& tmpl, const std::string& resolved,
                            std::vector<std::string>& out);

// "30s", "5m", "1h", "500ms", "1h30m"; errors for anything else.
Result<std::chrono::milliseconds> ParseDuration(std::string_view s);
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace drift
