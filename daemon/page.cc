#include "daemon/page.h"


#include "core/document.h"
#include "core/strings.h"

namespace drift {

std::string RenderPage(const CheckReport& report, const std::vector<SourceStatus>& sources,
                       double now, const std::vector<Endpoint>& endpoints) {
  auto esc = [](const std::string& s) {
    std::string o;
    for (char c : s) {
      if (c == '<') o += "&lt;";
      else if (c == '>') o += "&gt;";
      else if (c == '&') o += "&amp;";
      else if (c == '"') o += "&quot;";
      else o += c;
    }
    return o;
  };
  auto age = [&](const std::string& t) {
    long s = static_cast<long>(now - ParseTime(t));
    if (s < 120) return std::to_string(s) + "s";
    if (s < 7200) return std::to_string(s / 60) + "m";
    if (s < 172800) return std::to_string(s / 3600) + "h";
    return std::to_string(s / 86400) + "d";
  };
  std::string h =
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>drift</title><style>"
      "body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;"
      "margin:.5em 0 1.5em}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:left}"
      "code{font-size:13px}.critical{color:#fff;background:#c0392b}.warning{background:#f5c542}"
      ".info{background:#aed6f1}.sev{padding:1px 6px;border-radius:3px}.down{color:#c0392b}"
      ".up{color:#1e8449}.stale{color:#7f8c8d;font-style:italic}</style></head><body><h1>drift</h1><p>";
  h += std::to_string(report.findings.size()) + " findings (" +
       std::to_string(report.count(Severity::kCritical)) + " critical, " +
       std::to_string(report.count(Severity::kWarning)) + " warning, " +
       std::to_string(report.count(Severity::kInfo)) + " info), baseline " + esc(report.baseline) +
       ". JSON: <a href=\"/api/v1/findings\">findings</a>, <a href=\"/api/v1/sources\">sources</a>, "
       "<a href=\"/metrics\">metrics</a>.</p>";
  std::string service;
  for (const auto& f : report.findings) {
    if (f.service != service) {
      if (!service.empty()) h += "</table>";
      service = f.service;
      h += "<h2>" + esc(service) + " <small>" + esc(f.owner.empty() ? "unowned" : f.owner) +
           "</small></h2><table><tr><th>env</th><th>severity</th><th>kind</th><th>path</th>"
           "<th>baseline</th><th>value</th><th>rule</th><th>age</th></tr>";
    }
    // Long values are shortened around their first difference, so the part that differs
    // shows in both columns (as in the table output).
    auto [b, v] = ShortenValues(f.baseline_value ? DumpJson(*f.baseline_value) : "—",
                                f.value ? DumpJson(*f.value) : "—",
                                f.baseline_value && f.value, 60);
    std::string message = f.message.empty() ? "" : "<br><small>" + esc(f.message) + "</small>";
    std::string sev(SeverityName(f.severity));
    h += "<tr><td>" + esc(f.env) + "</td><td><span class=\"sev " + sev + "\">" + sev +
         "</span></td><td>" + std::string(FindingKindName(f.kind)) + "</td><td><code>" + esc(f.path) +
         "</code></td><td><code>" + esc(b) + "</code></td><td><code>" + esc(v) + "</code>" +
         message + "</td><td>" + esc(f.rule) + "</td><td>" + age(f.first_seen) +
         (f.stale ? " <span class=\"stale\" title=\"a source it depends on is down\">stale since " +
                        esc(f.unknown_since) + "</span>"
                  : std::string()) +
         "</td></tr>";
  }
  if (!service.empty()) h += "</table>";
  h += "<h2>Sources</h2><table><tr><th>service</th><th>source</th><th>env</th><th>state</th>"
       "<th>last success</th><th>last error</th></tr>";
  for (const SourceStatus& s : sources) {
    bool up = s.tried && s.last_error.empty();
    h += "<tr><td>" + esc(s.service) + "</td><td>" + esc(s.source) + "</td><td>" + esc(s.env) +
         "</td><td class=\"" + (up ? "up\">up" : (s.tried ? "down\">down" : "\">pending")) +
         "</td><td>" + esc(s.last_success) + "</td><td>" + esc(Shorten(s.last_error, 120)) +
         "</td></tr>";
  }
  h += "</table>";
  if (!endpoints.empty()) {
    h += "<h2>API</h2><table><tr><th>endpoint</th><th></th></tr>";
    for (const Endpoint& e : endpoints) {
      std::string path = esc(e.path);
      h += "<tr><td><code>" +
           (e.post ? "POST " + path : "<a href=\"" + path + "\">GET " + path + "</a>") +
           "</code></td><td>" + esc(e.help) + "</td></tr>";
    }
    h += "</table>";
  }
  h += "</body></html>\n";
  return h;
}

nlohmann::ordered_json SourcesJson(const std::vector<SourceStatus>& sources) {
  auto or_null = [](const std::string& s) {
    return s.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s);
  };
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const SourceStatus& s : sources) {
    nlohmann::ordered_json j;
    j["service"] = s.service;
    j["source"] = s.source;
    j["env"] = s.env;
    j["up"] = s.up();
    j["last_success"] = or_null(s.last_success);
    j["last_error"] = or_null(s.last_error);
    j["duration_seconds"] = s.duration;
    j["snapshot_hash"] = or_null(s.hash);
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace drift
