#include "core/yaml_reader.h"

#include <cmath>

#include "core/interpolate.h"
#include "core/strings.h"

namespace drift {

YAML::Node Get(const YAML::Node& map, std::string_view key) {
  if (!map.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return it->second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

bool Has(const YAML::Node& map, std::string_view key) { return Get(map, key).IsDefined(); }

Position YamlReader::Pos(const YAML::Node& n) const {
  if (!n.IsDefined()) return Position{file_, 0, 0};
  auto m = n.Mark();
  if (m.is_null()) return Position{file_, 0, 0};
  return Position{file_, static_cast<uint32_t>(m.line + 1), static_cast<uint32_t>(m.column + 1)};
}

void YamlReader::CheckKeys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                           std::string_view where) {
  CheckKeys(map, std::vector<std::string_view>(allowed), where);
}

void YamlReader::CheckKeys(const YAML::Node& map, const std::vector<std::string_view>& allowed,
                           std::string_view where) {
  if (!map.IsMap()) return;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) {
      Error(it->first, "keys must be strings");
      continue;
    }
    const std::string& k = it->first.Scalar();
    if (k.starts_with("x-")) continue;  // a place for YAML anchors (SPEC §2), ignored
    bool ok = false;
    for (auto a : allowed) ok = ok || a == k;
    if (!ok)
      Error(it->first, "unknown key '" + k + "' in " + std::string(where) +
                           DidYouMean(k, std::span<const std::string_view>(allowed)));
  }
}

bool YamlReader::ExpectMap(const YAML::Node& n, std::string_view what) {
  if (n.IsMap()) return true;
  Error(n, std::string(what) + " must be a map");
  return false;
}

std::optional<std::string> YamlReader::String(const YAML::Node& n, std::string_view what) {
  if (n.IsScalar()) return n.Scalar();
  Error(n, std::string(what) + " must be a string");
  return std::nullopt;
}

std::optional<bool> YamlReader::Bool(const YAML::Node& n, std::string_view what) {
  if (n.IsScalar() && n.Tag() != "!") {
    const std::string& s = n.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  Error(n, std::string(what) + " must be true or false");
  return std::nullopt;
}

std::optional<long long> YamlReader::Int(const YAML::Node& n, std::string_view what,
                                         long long min, long long max) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && end && *end == 0) {
      if (errno == 0 && v >= min && v <= max) return v;
      Error(n, std::string(what) + " must be between " + std::to_string(min) + " and " +
                   std::to_string(max));
      return std::nullopt;
    }
  }
  Error(n, std::string(what) + " must be an integer");
  return std::nullopt;
}

std::optional<double> YamlReader::Number(const YAML::Node& n, std::string_view what) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (!s.empty() && end && *end == 0) {
      if (std::isfinite(v) && std::fabs(v) <= 1e15) return v;
      Error(n, std::string(what) + " is out of range");
      return std::nullopt;
    }
  }
  Error(n, std::string(what) + " must be a number");
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> YamlReader::Duration(const YAML::Node& n,
                                                              std::string_view what) {
  auto s = String(n, what);
  if (!s) return std::nullopt;
  auto d = ParseDuration(*s);
  if (!d.ok()) {
    Error(n, std::string(what) + ": " + d.error().message);
    return std::nullopt;
  }
  if (d->count() <= 0) {
    Error(n, std::string(what) + " must be positive");
    return std::nullopt;
  }
  return *d;
}

std::optional<std::vector<std::string>> YamlReader::StringList(const YAML::Node& n,
                                                               std::string_view what,
                                                               bool allow_single) {
  std::vector<std::string> out;
  if (allow_single && n.IsScalar()) return std::vector<std::string>{n.Scalar()};
  if (!n.IsSequence()) {
    Error(n, std::string(what) + " must be a list of strings");
    return std::nullopt;
  }
  bool ok = true;
  for (const auto& item : n) {
    if (!item.IsScalar()) {
      Error(item, std::string(what) + " must be a list of strings");
      ok = false;
      continue;
    }
    out.push_back(item.Scalar());
  }
  if (!ok) return std::nullopt;
  return out;
}

void YamlReader::CheckTemplate(const YAML::Node& n, std::string_view s,
                               const std::vector<std::string>& vars) {
  if (auto e = drift::CheckTemplate(s, vars)) Error(n, *e);
}

}  // namespace drift
