#include "core/finding.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <tuple>

#include "core/crypto.h"
#include "core/path.h"

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

std::vector<uint32_t> SortedOrder(const std::vector<Finding>& f,
                                  const std::vector<std::string>& env_order) {
  // Sort small keys that point into the findings, then move each finding into place once:
  // findings are large (hundreds of bytes) and a big report has tens of thousands.
  // (service, source) pairs are few: they are ranked once and compared as numbers.
  struct Key {
    uint32_t group_rank;
    std::string_view path;
    uint32_t env_rank;
    std::string_view rule, with_env;
    uint32_t index;
  };
  std::vector<std::pair<std::string_view, std::string_view>> groups;
  for (const Finding& x : f) {
    std::pair<std::string_view, std::string_view> g{x.service, x.source};
    if (groups.empty() || groups.back() != g) groups.push_back(g);
  }
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  std::vector<Key> keys;
  keys.reserve(f.size());
  for (uint32_t i = 0; i < f.size(); ++i) {
    auto it = std::find(env_order.begin(), env_order.end(), f[i].env);
    auto g = std::lower_bound(groups.begin(), groups.end(),
                              std::pair<std::string_view, std::string_view>{f[i].service, f[i].source});
    keys.push_back(Key{static_cast<uint32_t>(g - groups.begin()), f[i].path,
                       static_cast<uint32_t>(it - env_order.begin()), f[i].rule, f[i].with_env, i});
  }
  auto less = [](const Key& a, const Key& b) {
    if (a.group_rank != b.group_rank) return a.group_rank < b.group_rank;
    if (int c = ComparePaths(a.path, b.path)) return c < 0;
    return std::tie(a.env_rank, a.rule, a.with_env) < std::tie(b.env_rank, b.rule, b.with_env);
  };
  if (!std::is_sorted(keys.begin(), keys.end(), less))
    std::stable_sort(keys.begin(), keys.end(), less);
  std::vector<uint32_t> order;
  order.reserve(keys.size());
  for (const Key& k : keys) order.push_back(k.index);
  return order;
}

void ApplyOrder(std::vector<Finding>& f, const std::vector<uint32_t>& order) {
  // In place, cycle by cycle (order[i] = where slot i's finding is).
  std::vector<bool> done(f.size(), false);
  for (size_t i = 0; i < f.size(); ++i) {
    if (done[i] || order[i] == i) continue;
    Finding held = std::move(f[i]);
    size_t at = i;
    while (true) {
      size_t from = order[at];
      done[at] = true;
      if (from == i) {
        f[at] = std::move(held);
        break;
      }
      f[at] = std::move(f[from]);
      at = from;
    }
  }
}

void SortFindings(std::vector<Finding>& f, const std::vector<std::string>& env_order) {
  ApplyOrder(f, SortedOrder(f, env_order));
}

}  // namespace drift

#include "core/report.h"

namespace drift {

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double ParseTime(const std::string& s) {
  std::tm tm{};
  if (!strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return 0;
  return static_cast<double>(timegm(&tm));
}

std::string FormatUnixTime(double seconds) {
  using namespace std::chrono;
  return FormatTime(system_clock::time_point(
      duration_cast<system_clock::duration>(duration<double>(seconds))));
}

std::string FormatTime(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace drift
