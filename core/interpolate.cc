#include "core/interpolate.h"

#include "core/secrets.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/files.h"
#include "core/strings.h"

namespace drift {

namespace {
// A secret file is a token, a password or a key: anything larger is not one.
constexpr uint64_t kMaxSecretFileSize = 1 << 20;
}  // namespace

bool IsPlaceholderName(std::string_view n) {
  return n == "env" || n == "ENV" || n == "service" || n == "source";
}

bool IsVarName(std::string_view n) {
  if (n.empty() || (n[0] >= '0' && n[0] <= '9')) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

std::optional<std::string> CheckTemplate(std::string_view s, const std::vector<std::string>& vars) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') {
      // ${scheme:arg}, where arg may itself hold {ENV}-style placeholders.
      size_t j = i + 2, depth = 1;
      while (j < s.size() && depth) {
        if (s[j] == '{') ++depth;
        if (s[j] == '}') --depth;
        if (depth) ++j;
      }
      if (j >= s.size()) return "unterminated '${' at offset " + std::to_string(i);
      std::string_view inner = s.substr(i + 2, j - i - 2);
      auto colon = inner.find(':');
      std::string_view scheme = inner.substr(0, colon);
      if (colon == std::string_view::npos || (scheme != "env" && scheme != "file"))
        return "unknown interpolation '${" + std::string(inner) +
               "}' (expected ${env:NAME} or ${file:PATH})";
      if (inner.size() == colon + 1) return "empty name in '${" + std::string(inner) + "}'";
      if (auto e = CheckTemplate(inner.substr(colon + 1), vars)) return e;
      i = j;
    } else if (s[i] == '{') {
      size_t j = s.find('}', i);
      if (j == std::string_view::npos) continue;
      std::string_view name = s.substr(i + 1, j - i - 1);
      if (IsVarName(name) && !IsPlaceholderName(name) &&
          std::find(vars.begin(), vars.end(), name) == vars.end())
        return "unknown placeholder '{" + std::string(name) + "}' (expected {env}, {ENV}, " +
               "{service}, {source}" +
               (vars.empty() ? std::string(" or a var from an environment's vars:")
                             : ", or a var: {" + Join(vars, "}, {") + "}") +
               ")";
    }
  }
  return std::nullopt;
}

std::vector<std::string> TemplateVars(std::string_view s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '{') continue;
    size_t j = s.find('}', i);
    if (j == std::string_view::npos) break;
    std::string_view name = s.substr(i + 1, j - i - 1);
    if (IsVarName(name) && !IsPlaceholderName(name) &&
        std::find(out.begin(), out.end(), name) == out.end())
      out.emplace_back(name);
  }
  return out;
}

std::string ExpandPlaceholders(std::string_view s, const Placeholders& p) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '{') {
      size_t j = s.find('}', i);
      if (j != std::string_view::npos) {
        std::string_view name = s.substr(i + 1, j - i - 1);
        const std::string* v = nullptr;
        std::string upper;
        if (name == "env") v = &p.env;
        else if (name == "service") v = &p.service;
        else if (name == "source") v = &p.source;
        else if (name == "ENV") {
          upper = ToUpper(p.env);
          v = &upper;
        } else if (p.vars) {
          for (const auto& [var, value] : *p.vars)
            if (var == name) v = &value;
        }
        if (v) {
          out += *v;
          i = j;
          continue;
        }
      }
    }
    out += s[i];
  }
  return out;
}

bool HasSecretRefs(std::string_view s) { return s.find("${") != std::string_view::npos; }

std::vector<SecretRef> SecretRefs(std::string_view s) {
  std::vector<SecretRef> out;
  size_t i = 0;
  while ((i = s.find("${", i)) != std::string_view::npos) {
    size_t j = s.find('}', i);
    if (j == std::string_view::npos) break;
    std::string_view inner = s.substr(i + 2, j - i - 2);
    if (inner.starts_with("env:")) out.push_back({false, std::string(inner.substr(4))});
    if (inner.starts_with("file:")) out.push_back({true, std::string(inner.substr(5))});
    i = j + 1;
  }
  return out;
}

Result<std::string> ResolveSecretRefs(std::string_view s, const std::string& base_dir) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t at = s.find("${", i);
    if (at == std::string_view::npos) {
      out += s.substr(i);
      break;
    }
    out += s.substr(i, at - i);
    size_t j = s.find('}', at);
    if (j == std::string_view::npos) return MakeError("unterminated '${'");
    std::string_view inner = s.substr(at + 2, j - at - 2);
    if (inner.starts_with("env:")) {
      std::string name(inner.substr(4));
      const char* v = std::getenv(name.c_str());
      if (!v) return MakeError("environment variable " + name + " is not set");
      out += v;
    } else if (inner.starts_with("file:")) {
      std::string path(inner.substr(5));
      if (!path.starts_with("/") && !base_dir.empty()) path = base_dir + "/" + path;
      auto read = ReadWholeFile(path, ReadLimits{kMaxSecretFileSize, "", 0});
      if (!read.ok()) return MakeError("cannot read secret file " + path);
      std::string v = std::move(*read);
      if (v.ends_with("\n")) v.pop_back();
      if (v.ends_with("\r")) v.pop_back();
      out += v;
    } else {
      return MakeError("unknown interpolation '${" + std::string(inner.substr(0, inner.find(':'))) +
                       ":…}'");
    }
    i = j + 1;
  }
  return out;
}

std::string ScrubSecrets(std::string msg, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    if (s.size() < 3) continue;
    for (size_t pos = 0; (pos = msg.find(s, pos)) != std::string::npos; pos += 3)
      msg.replace(pos, s.size(), "***");
  }
  return MaskSecretsInText(std::move(msg));
}

namespace {
// Durations are intervals and timeouts: a year is beyond any use, and far from overflowing
// the clocks they are added to.
constexpr long long kMaxDurationMs = 366LL * 86'400'000;
constexpr const char* kMaxText = " (at most 366d)";
}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view s) {
  if (s.empty()) return MakeError("empty duration");
  std::chrono::milliseconds total{0};
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start)
      return MakeError("invalid duration '" + std::string(s) + "' (expected e.g. 30s, 5m, 1h)");
    // Digits are read by hand: a number past any sensible duration is an error, never an
    // exception (std::stoll throws on "100000000000000000000").
    long long n = 0;
    for (size_t k = start; k < i; ++k) {
      n = n * 10 + (s[k] - '0');
      if (n > kMaxDurationMs) return MakeError("duration '" + std::string(s) + "' is too long" + kMaxText);
    }
    size_t us = i;
    while (i < s.size() && s[i] >= 'a' && s[i] <= 'z') ++i;
    std::string_view unit = s.substr(us, i - us);
    long long ms;
    if (unit == "ms") ms = 1;
    else if (unit == "s") ms = 1000;
    else if (unit == "m") ms = 60'000;
    else if (unit == "h") ms = 3'600'000;
    else if (unit == "d") ms = 86'400'000;
    else
      return MakeError("invalid duration '" + std::string(s) +
                       "' (units: ms, s, m, h, d; e.g. 30s, 5m, 1h)");
    if (n > (kMaxDurationMs - total.count()) / ms)
      return MakeError("duration '" + std::string(s) + "' is too long" + kMaxText);
    total += std::chrono::milliseconds(n * ms);
  }
  return total;
}

std::string FormatDuration(std::chrono::milliseconds d) {
  long long ms = d.count();
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

void CollectResolvedSecrets(const std::string& tmpl, const std::string& resolved,
                            std::vector<std::string>& out) {
  if (!HasSecretRefs(tmpl)) return;
  for (const auto& ref : SecretRefs(tmpl)) {
    if (!ref.is_file) {
      if (const char* v = std::getenv(ref.name.c_str())) out.push_back(v);
    }
  }
  // ${file:} values are not re-read here; what differs from the template is.
  size_t prefix = 0;
  while (prefix < tmpl.size() && prefix < resolved.size() && tmpl[prefix] == resolved[prefix])
    ++prefix;
  size_t suffix = 0;
  while (suffix < tmpl.size() - prefix && suffix < resolved.size() - prefix &&
         tmpl[tmpl.size() - 1 - suffix] == resolved[resolved.size() - 1 - suffix])
    ++suffix;
  if (resolved.size() > prefix + suffix)
    out.push_back(resolved.substr(prefix, resolved.size() - prefix - suffix));
}

}  // namespace drift
