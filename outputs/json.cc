// check --format json, exactly as SPEC §5.
#include "outputs/sink.h"

#include "core/document.h"

namespace drift {

nlohmann::ordered_json FindingJson(const Finding& f) {
  nlohmann::ordered_json j;
  j["id"] = f.id;
  j["service"] = f.service;
  j["source"] = f.source;
  j["path"] = f.path;
  j["env"] = f.env;
  if (!f.with_env.empty()) j["with_env"] = f.with_env;
  j["rule"] = f.rule;
  j["kind"] = FindingKindName(f.kind);
  j["severity"] = SeverityName(f.severity);
  j["owner"] = f.owner;
  if (f.baseline_value) j["baseline_value"] = *f.baseline_value;
  if (f.value) j["value"] = *f.value;
  j["redacted"] = f.redacted;
  j["first_seen"] = f.first_seen;
  return j;
}

nlohmann::ordered_json ReportJson(const CheckReport& r) {
  nlohmann::ordered_json j;
  j["version"] = 1;
  j["checked_at"] = r.checked_at;
  j["baseline"] = r.baseline;
  j["environments"] = r.environments;
  j["findings"] = nlohmann::ordered_json::array();
  for (const auto& f : r.findings) j["findings"].push_back(FindingJson(f));
  j["errors"] = nlohmann::ordered_json::array();
  for (const auto& e : r.errors) {
    nlohmann::ordered_json ej;
    ej["service"] = e.service;
    ej["source"] = e.source;
    ej["env"] = e.env;
    ej["message"] = e.message;
    j["errors"].push_back(ej);
  }
  nlohmann::ordered_json s;
  s["findings"] = r.findings.size();
  s["critical"] = r.count(Severity::kCritical);
  s["warning"] = r.count(Severity::kWarning);
  s["info"] = r.count(Severity::kInfo);
  s["sources"] = r.sources;
  s["sources_failed"] = r.sources_failed;
  j["summary"] = s;
  return j;
}

namespace {
class JsonSink final : public Sink {
 public:
  void Write(const CheckReport& report, std::ostream& out) const override {
    out << DumpJson(ReportJson(report), 2) << "\n";
  }
};
}  // namespace

std::unique_ptr<Sink> MakeJsonSink() { return std::make_unique<JsonSink>(); }

}  // namespace drift
