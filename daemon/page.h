// What the daemon shows of its state (SPEC §7): the page at `/` (the findings by service and
// the sources' health, one self-contained HTML document) and the sources' JSON. Pure
// functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/report.h"

namespace drift {

// One (service, source, env) as the daemon last saw it: the page and /api/v1/sources.
struct SourceStatus {
  std::string service, source, env;
  bool tried = false;  // collected (or failed) at least once
  std::string last_success, last_error;
  double duration = 0;   // seconds, the last collection
  std::string hash;      // the last snapshot's; "" before one
  bool up() const { return tried && last_error.empty(); }
};

// An endpoint the page lists (the router's table).
struct Endpoint {
  std::string path, help;
  bool post = false;
};

// `now` (Unix seconds) ages the findings. Every value is escaped.
std::string RenderPage(const CheckReport& report, const std::vector<SourceStatus>& sources,
                       double now, const std::vector<Endpoint>& endpoints = {});

// The `sources` list of GET /api/v1/sources (SPEC §7).
nlohmann::ordered_json SourcesJson(const std::vector<SourceStatus>& sources);

}  // namespace drift
