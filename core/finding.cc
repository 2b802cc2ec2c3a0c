#include "core/finding.h"

#include <algorithm>
#include <ctime>
#include <tuple>

#include "core/crypto.h"

namespace drift {

std::string_view FindingKindName(FindingKind k) {
  switch (k) {
    case FindingKind::kChanged: return "changed";
    case FindingKind::kMissing: return "missing";
    case FindingKind::kExtra: return "extra";
    case FindingKind::kType: return "type";
    case FindingKind::kSame: return "same";
    case FindingKind::kPattern: return "pattern";
    case FindingKind::kSkew: return "skew";
  }
  return "changed";
}

std::string FindingId(const std::string& service, const std::string& source,
                      const std::string& path, const std::string& env, const std::string& rule) {
  std::string data = service + '\x1f' + source + '\x1f' + path + '\x1f' + env + '\x1f' + rule;
  return Sha256Hex(data).substr(0, 16);
}

void SortFindings(std::vector<Finding>& f, const std::vector<std::string>& env_order) {
  auto rank = [&](const std::string& env) {
    auto it = std::find(env_order.begin(), env_order.end(), env);
    return static_cast<size_t>(it - env_order.begin());
  };
  std::stable_sort(f.begin(), f.end(), [&](const Finding& a, const Finding& b) {
    size_t ra = rank(a.env), rb = rank(b.env);
    return std::tie(a.service, a.source, a.path, ra, a.rule, a.with_env) <
           std::tie(b.service, b.source, b.path, rb, b.rule, b.with_env);
  });
}

}  // namespace drift

#include "core/report.h"

namespace drift {

std::string FormatTime(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace drift
