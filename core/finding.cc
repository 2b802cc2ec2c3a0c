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
  // Sort indices, then move each finding once: findings are large and may be many.
  std::vector<uint32_t> order(f.size());
  std::vector<uint32_t> env_rank(f.size());
  for (uint32_t i = 0; i < f.size(); ++i) {
    order[i] = i;
    env_rank[i] = static_cast<uint32_t>(rank(f[i].env));
  }
  std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    const Finding& a = f[x];
    const Finding& b = f[y];
    return std::tie(a.service, a.source, a.path, env_rank[x], a.rule, a.with_env) <
           std::tie(b.service, b.source, b.path, env_rank[y], b.rule, b.with_env);
  });
  std::vector<Finding> sorted;
  sorted.reserve(f.size());
  for (uint32_t i : order) sorted.push_back(std::move(f[i]));
  f = std::move(sorted);
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
