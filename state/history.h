// A finding's occurrences and a path's values over time, as JSON, read from the state store:
// what `drift history --format json` prints and `GET /api/v1/history` answers (one code path).
// Values in the store are already redacted. Not thread-safe (the Store is not).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/result.h"
#include "state/store.h"

namespace drift {

nlohmann::ordered_json FindingRecordJson(const FindingRecord& r);

// {"finding": {…, "history": [earlier occurrences, each resolved]}}; nullopt for an unknown id.
std::optional<nlohmann::ordered_json> FindingHistoryJson(Store& store, const std::string& id);

// {"service", "path", "findings": [every occurrence at the path], "values": [{"at", "env",
// "value"}: the path's value in each stored snapshot, kept only where it changed per env]}.
// `path` starts with the source's name; `env` "" means every env. An error for a path that
// does not parse.
Result<nlohmann::ordered_json> PathHistoryJson(Store& store, const std::string& service,
                                               const std::string& path, const std::string& env);

}  // namespace drift
