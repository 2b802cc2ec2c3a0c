// Secrets inside text (SPEC §4 Secrets): secret-looking names, URL credentials and PEM
// private keys. Used both to redact snapshot values (with a fingerprint) and to mask
// messages (errors, logs) before they leave the process. Pure functions: thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace drift {

// (?i)(password|passwd|secret|token|api_?key|private_?key|credential), searched in `name`.
bool IsSecretName(std::string_view name);

// Holds a PEM private key (-----BEGIN … PRIVATE KEY-----).
bool HasPemPrivateKey(std::string_view text);

// Replaces, inside every URL of `text` (scheme://…), the password of its user info
// (`redis://:pw@host`, `postgres://u:pw@host/db`) and the values of secret-named query
// parameters (`?api_key=…&token=…`) with replace(secret). Returns whether anything changed.
bool ReplaceUrlSecrets(std::string& text,
                       const std::function<std::string(std::string_view secret)>& replace);

// A message safe to print: URL credentials and secret query values as ***, a PEM private
// key as [private key].
std::string MaskSecretsInText(std::string text);

}  // namespace drift
