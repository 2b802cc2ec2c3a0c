// Interpolation in config strings (SPEC §2): {env} {ENV} {service} {source} expand when a
// source is expanded per env; ${env:NAME} and ${file:PATH} are secrets resolved at
// collection time and never logged.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace drift {

struct Placeholders {
  std::string env, service, source;
};

// nullopt when the template is well-formed, else what is wrong with it.
std::optional<std::string> CheckTemplate(std::string_view s);
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
