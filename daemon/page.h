// What the daemon shows of its state (SPEC §7): the parity page at `/` (a matrix of services
// × envs, a service view, source health; one self-contained HTML document) and the sources'
// JSON. Pure functions; thread-safe.
#pragma once

#include <functional>
#include <map>
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

// What the page's URL asks for: filters (kept in every link) and the service view.
struct PageView {
  std::string owner, env, severity, rule, service;
  size_t page = 0;  // of the service view's findings, 0-based (`page=1` in the URL is 0)
  // From the query string's parameters (`get(name)` is "" when absent).
  static PageView From(const std::function<std::string(const char*)>& get);
};

struct PageInput {
  const CheckReport* report = nullptr;
  std::vector<SourceStatus> sources;
  std::vector<std::pair<std::string, std::string>> services;  // name and owner ("" = none)
  double now = 0;  // Unix seconds: ages
  std::vector<Endpoint> endpoints;
  // A finding's earlier occurrences (first seen, resolved), by finding id: its history.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> history;
  // Open findings per service at the end of each of the last days, oldest first.
  std::map<std::string, std::vector<int>> trend;
};

inline constexpr size_t kPageFindings = 100;  // per page of a service view

// The findings a service view lists (of view.service, under the view's filters) and the
// page of them it shows (view.page, clamped to the last): what RenderPage lists and what the
// daemon reads the history of, from one place.
struct ServiceViewRows {
  size_t total = 0, page = 0, pages = 0;
  std::vector<const Finding*> shown;  // into the report, at most kPageFindings
};
ServiceViewRows ServiceView(const CheckReport& report, const PageView& view);

// Every value is escaped; the page refreshes its content every 30 s keeping URL and scroll.
std::string RenderPage(const PageInput& in, const PageView& view);

// A page saying only `message` (escaped), with a link back to the page.
std::string RenderPageError(const std::string& message);

// The `sources` list of GET /api/v1/sources (SPEC §7).
nlohmann::ordered_json SourcesJson(const std::vector<SourceStatus>& sources);

}  // namespace drift
