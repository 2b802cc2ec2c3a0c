// Secret redaction (SPEC §4 Secrets): values under secret-looking keys, or of rules with
// `redact: true`, are shown only as hmac:<12 hex> fingerprints. Thread-safe (immutable).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/document.h"
#include "core/result.h"
#include "core/selector.h"

namespace drift {

// (?i)(password|passwd|secret|token|api_?key|private_?key|credential), searched in the key.
bool IsSecretKey(std::string_view key);

class Redactor {
 public:
  explicit Redactor(std::string key) : key_(std::move(key)) {}
  // "hmac:" + the first 12 hex digits of HMAC-SHA256(key, text).
  std::string Fingerprint(std::string_view text) const;
  // The fingerprint of a subtree: of the string itself, or of the JSON text of anything else.
  std::string Fingerprint(const Document& d, NodeId id) const;
  // The subtree as JSON with every value under a secret key replaced by its fingerprint,
  // and inside strings URL passwords / secret query values replaced by theirs and PEM private
  // keys wholly; `redacted` is set when anything was replaced.
  nlohmann::ordered_json ToJson(const Document& d, NodeId id, bool& redacted) const;
  // A string leaf as ToJson shows it.
  nlohmann::ordered_json StringJson(std::string_view s, bool& redacted) const;

  // Selectors of `redact: true` rules in force for one (service, env), each already stepped
  // past the source name: values they match are fingerprinted too.
  struct RuleScope {
    std::vector<std::pair<const Selector*, Selector::State>> selectors;
  };
  // ToJson of a whole snapshot, for the state store and other outputs of raw snapshots.
  nlohmann::ordered_json SnapshotJson(const Document& d, const RuleScope& scope,
                                      bool& redacted) const;

 private:
  std::string key_;
};

// The fingerprint key: `configured` (already resolved) when given; else a random 32-byte key
// kept in `key_file` (created once, mode 0600). Falls back to a per-process key, with a
// warning in `warning`, when the file cannot be written.
Result<std::string> LoadFingerprintKey(const std::string& configured, const std::string& key_file,
                                       std::string& warning);

}  // namespace drift
