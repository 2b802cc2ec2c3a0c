#include "state/history.h"

#include <map>

#include "core/document.h"
#include "core/path.h"

namespace drift {

nlohmann::ordered_json FindingRecordJson(const FindingRecord& r) {
  nlohmann::ordered_json j;
  auto value = [](const std::string& text) {
    return text.empty() ? nlohmann::ordered_json()
                        : nlohmann::ordered_json::parse(text, nullptr, false);
  };
  j["id"] = r.id;
  if (!r.service.empty()) {
    j["service"] = r.service;
    j["source"] = r.source;
    j["path"] = r.path;
    j["env"] = r.env;
    j["rule"] = r.rule;
    j["kind"] = r.kind;
    j["severity"] = r.severity;
  }
  j["first_seen"] = r.first_seen;
  if (!r.last_seen.empty()) j["last_seen"] = r.last_seen;
  j["resolved_at"] =
      r.resolved_at.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(r.resolved_at);
  if (!r.baseline_value.empty()) j["baseline_value"] = value(r.baseline_value);
  if (!r.value.empty()) j["value"] = value(r.value);
  return j;
}

std::optional<nlohmann::ordered_json> FindingHistoryJson(Store& store, const std::string& id) {
  auto rec = store.FindingById(id);
  if (!rec) return std::nullopt;
  auto j = FindingRecordJson(*rec);
  j["history"] = nlohmann::ordered_json::array();
  for (const auto& h : store.FindingHistory(id)) j["history"].push_back(FindingRecordJson(h));
  return nlohmann::ordered_json{{"finding", j}};
}

Result<nlohmann::ordered_json> PathHistoryJson(Store& store, const std::string& service,
                                               const std::string& path, const std::string& env) {
  auto parsed = ParsePath(path);
  if (!parsed.ok() || parsed->empty() || (*parsed)[0].kind != PathSegment::Kind::kKey)
    return MakeError("invalid path '" + path + "'" +
                     (parsed.ok() ? "" : ": " + parsed.error().message));
  nlohmann::ordered_json j;
  j["service"] = service;
  j["path"] = path;
  j["findings"] = nlohmann::ordered_json::array();
  for (const auto& f : store.FindingsForPath(service, path))
    if (env.empty() || f.env == env) j["findings"].push_back(FindingRecordJson(f));
  // The path's value in every recorded snapshot, keeping only changes per env.
  nlohmann::ordered_json values = nlohmann::ordered_json::array();
  std::map<std::string, std::string> last;
  for (const auto& snap : store.SnapshotHistory(service, (*parsed)[0].key)) {
    if (!env.empty() && snap.env != env) continue;
    std::string shown = "(not stored)";
    if (!snap.document.empty()) {
      auto doc = nlohmann::ordered_json::parse(snap.document, nullptr, false);
      const nlohmann::ordered_json* cur = &doc;
      for (size_t i = 1; i < parsed->size() && cur; ++i) {
        const auto& seg = (*parsed)[i];
        if (seg.kind == PathSegment::Kind::kKey && cur->is_object() && cur->contains(seg.key))
          cur = &(*cur)[seg.key];
        else if (seg.kind == PathSegment::Kind::kIndex && cur->is_array() &&
                 seg.index < static_cast<int64_t>(cur->size()))
          cur = &(*cur)[seg.index];
        else
          cur = nullptr;
      }
      shown = cur ? DumpJson(*cur) : "(absent)";
    }
    if (last[snap.env] == shown) continue;
    last[snap.env] = shown;
    values.push_back({{"at", snap.collected_at}, {"env", snap.env}, {"value", shown}});
  }
  j["values"] = std::move(values);
  return j;
}

}  // namespace drift
