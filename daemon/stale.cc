#include "daemon/stale.h"

#include <utility>

namespace drift {

std::vector<std::string> KeepStale(const Config& config, int baseline,
                                   const std::vector<std::string>& unknown_since,
                                   std::vector<Finding>& previous, std::vector<Finding>& fresh) {
  auto since = [&](const Finding& f) -> std::string {
    std::string out;
    for (int e : {config.env_index(f.env), f.with_env.empty() ? -1 : config.env_index(f.with_env),
                  baseline}) {
      if (e < 0 || unknown_since[e].empty()) continue;
      if (out.empty() || unknown_since[e] < out) out = unknown_since[e];
    }
    return out;
  };
  bool any = false;
  for (const auto& u : unknown_since) any = any || !u.empty();
  if (!any) {
    previous.clear();
    return {};
  }
  std::erase_if(fresh, [&](const Finding& f) { return !since(f).empty(); });
  std::vector<std::string> keep;
  std::vector<Finding> kept;
  for (auto& f : previous) {
    std::string s = since(f);
    if (s.empty()) continue;
    if (!f.stale) {
      f.stale = true;
      f.unknown_since = s;
    }
    keep.push_back(f.id);
    kept.push_back(std::move(f));
  }
  previous = std::move(kept);
  return keep;
}

}  // namespace drift
