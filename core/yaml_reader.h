// Typed, position-aware reading of drift.yaml nodes (yaml-cpp) for the config loader and
// for each factory that validates its own section. Never throws: problems go to Diagnostics.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.h"

namespace drift {

class YamlReader {
 public:
  YamlReader(std::string file, Diagnostics& diags) : file_(std::move(file)), diags_(diags) {}

  Position Pos(const YAML::Node& n) const;
  void Error(const YAML::Node& at, std::string message) { diags_.Error(Pos(at), std::move(message)); }
  void Warning(const YAML::Node& at, std::string message) {
    diags_.Warning(Pos(at), std::move(message));
  }
  Diagnostics& diags() { return diags_; }
  const std::string& file() const { return file_; }

  // Reports keys of `map` not in `allowed`, with a did-you-mean, at the key's position.
  void CheckKeys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                 std::string_view where);
  void CheckKeys(const YAML::Node& map, const std::vector<std::string_view>& allowed,
                 std::string_view where);
  bool ExpectMap(const YAML::Node& n, std::string_view what);
  // The scalar text, or nullopt (with an error) when n is not a scalar.
  std::optional<std::string> String(const YAML::Node& n, std::string_view what);
  std::optional<bool> Bool(const YAML::Node& n, std::string_view what);
  std::optional<long long> Int(const YAML::Node& n, std::string_view what, long long min,
                               long long max);
  std::optional<double> Number(const YAML::Node& n, std::string_view what);
  std::optional<std::chrono::milliseconds> Duration(const YAML::Node& n, std::string_view what);
  // A list of strings (a single string is accepted as a one-item list when allow_single).
  std::optional<std::vector<std::string>> StringList(const YAML::Node& n, std::string_view what,
                                                      bool allow_single = false);
  // Reports a malformed {env}/${env:X} template.
  // A positioned error when `s` is not a well-formed template; `vars`: the var names defined.
  void CheckTemplate(const YAML::Node& n, std::string_view s,
                     const std::vector<std::string>& vars = {});

 private:
  std::string file_;
  Diagnostics& diags_;
};

// The map's value under key, or an undefined node. Never throws.
YAML::Node Get(const YAML::Node& map, std::string_view key);
bool Has(const YAML::Node& map, std::string_view key);

}  // namespace drift
