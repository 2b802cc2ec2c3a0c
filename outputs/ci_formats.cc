// CI formats: junit (one testcase per rule × service), markdown (a PR comment) and
// sarif 2.1.0 (one result per finding, located at the env's value when it is in a file).
#include <map>
#include <set>

#include "core/document.h"
#include "core/strings.h"
#include "outputs/sink.h"

namespace drift {

std::string ValueText(const std::optional<nlohmann::ordered_json>& v, size_t max);

namespace {

std::string Xml(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids most control characters.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') out += '?';
        else out += c;
    }
  }
  return out;
}

std::string Line(const Finding& f) {
  std::string s = f.env + " " + std::string(FindingKindName(f.kind)) + " " + f.path;
  switch (f.kind) {
    case FindingKind::kMissing: s += " (missing; baseline " + ValueText(f.baseline_value, 80) + ")"; break;
    case FindingKind::kExtra: s += " (extra: " + ValueText(f.value, 80) + ")"; break;
    case FindingKind::kSame: s += " (same as " + f.with_env + ": " + ValueText(f.value, 80) + ")"; break;
    default: s += ": " + ValueText(f.baseline_value, 80) + " -> " + ValueText(f.value, 80);
  }
  return s;
}

class JunitSink final : public Sink {
 public:
  void Write(const CheckReport& r, std::ostream& out) const override {
    // Testcases: every (service, rule) with findings, plus one per failed source.
    std::map<std::pair<std::string, std::string>, std::vector<const Finding*>> cases;
    for (const auto& f : r.findings) cases[{f.service, f.rule}].push_back(&f);
    size_t tests = cases.size() + r.errors.size();
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out << "<testsuites name=\"drift\" tests=\"" << tests << "\" failures=\"" << cases.size()
        << "\" errors=\"" << r.errors.size() << "\">\n";
    out << "  <testsuite name=\"drift check\" timestamp=\"" << Xml(r.checked_at) << "\" tests=\""
        << tests << "\" failures=\"" << cases.size() << "\" errors=\"" << r.errors.size()
        << "\">\n";
    for (const auto& [key, fs] : cases) {
      out << "    <testcase classname=\"" << Xml(key.first) << "\" name=\"" << Xml(key.second)
          << "\">\n";
      out << "      <failure message=\"" << fs.size() << " finding" << (fs.size() == 1 ? "" : "s")
          << "\" type=\"drift\">";
      for (const Finding* f : fs) out << Xml(Line(*f)) << "\n";
      out << "</failure>\n    </testcase>\n";
    }
    for (const auto& e : r.errors) {
      out << "    <testcase classname=\"" << Xml(e.service) << "\" name=\""
          << Xml("collect " + e.source + " in " + e.env) << "\">\n";
      out << "      <error message=\"" << Xml(e.message) << "\" type=\"collection\"/>\n";
      out << "    </testcase>\n";
    }
    out << "  </testsuite>\n</testsuites>\n";
  }
};

std::string MdCell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

class MarkdownSink final : public Sink {
 public:
  void Write(const CheckReport& r, std::ostream& out) const override {
    out << "### drift: " << r.findings.size() << (r.findings.size() == 1 ? " finding" : " findings")
        << " (" << r.count(Severity::kCritical) << " critical, " << r.count(Severity::kWarning)
        << " warning, " << r.count(Severity::kInfo) << " info)\n\n";
    if (!r.findings.empty()) {
      out << "| severity | service | env | path | kind | baseline (" << MdCell(r.baseline)
          << ") | value | rule | owner |\n";
      out << "|---|---|---|---|---|---|---|---|---|\n";
      for (const auto& f : r.findings) {
        out << "| " << SeverityName(f.severity) << " | " << MdCell(f.service) << " | "
            << MdCell(f.env) << " | `" << MdCell(f.path) << "` | " << FindingKindName(f.kind)
            << " | " << MdCell(f.kind == FindingKind::kSame ? f.with_env + ": " + ValueText(f.baseline_value, 60)
                                                           : ValueText(f.baseline_value, 60))
            << " | " << MdCell(ValueText(f.value, 60)) << " | " << MdCell(f.rule) << " | "
            << MdCell(f.owner.empty() ? "_unowned_" : f.owner) << " |\n";
      }
      out << "\n";
    }
    if (!r.errors.empty()) {
      out << "**Could not collect** (unknown, not drift):\n\n";
      for (const auto& e : r.errors)
        out << "- `" << MdCell(e.service) << "/" << MdCell(e.source) << "` in " << MdCell(e.env)
            << ": " << MdCell(e.message) << "\n";
      out << "\n";
    }
    out << "_" << r.sources << " sources checked at " << r.checked_at << ", baseline "
        << r.baseline << "._\n";
  }
};

class SarifSink final : public Sink {
 public:
  explicit SarifSink(SinkOptions o) : o_(std::move(o)) {}
  void Write(const CheckReport& r, std::ostream& out) const override {
    using J = nlohmann::ordered_json;
    J rules = J::array();
    std::map<std::string, size_t> rule_index;
    for (const auto& f : r.findings) {
      if (rule_index.count(f.rule)) continue;
      rule_index[f.rule] = rules.size();
      J rule;
      rule["id"] = f.rule;
      rule["name"] = f.rule;
      rule["shortDescription"] = {{"text", f.description.empty() ? "drift rule " + f.rule
                                                                  : f.description}};
      if (!f.runbook.empty()) rule["helpUri"] = f.runbook;
      rules.push_back(rule);
    }
    J results = J::array();
    for (const auto& f : r.findings) {
      J res;
      res["ruleId"] = f.rule;
      res["ruleIndex"] = rule_index[f.rule];
      res["level"] = f.severity == Severity::kCritical  ? "error"
                     : f.severity == Severity::kWarning ? "warning"
                                                        : "note";
      res["message"] = {{"text", f.service + " " + Line(f)}};
      if (!f.file.empty()) {
        J phys;
        phys["artifactLocation"] = {{"uri", f.file}};
        if (f.line) {
          J region;
          region["startLine"] = f.line;
          if (f.column) region["startColumn"] = f.column;
          phys["region"] = region;
        }
        res["locations"] = J::array({J{{"physicalLocation", phys}}});
      }
      res["partialFingerprints"] = {{"driftFindingId/v1", f.id}};
      res["properties"] = {{"service", f.service}, {"source", f.source}, {"path", f.path},
                           {"env", f.env},         {"kind", FindingKindName(f.kind)},
                           {"owner", f.owner},     {"redacted", f.redacted}};
      results.push_back(res);
    }
    J run;
    run["tool"] = {{"driver",
                    {{"name", "drift"},
                     {"version", DRIFT_VERSION},
                     {"informationUri", "https://example.invalid/drift"},
                     {"rules", rules}}}};
    run["results"] = results;
    J doc;
    doc["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
    doc["version"] = "2.1.0";
    doc["runs"] = J::array({run});
    out << DumpJson(doc, 2) << "\n";
  }

 private:
  SinkOptions o_;
};

}  // namespace

std::unique_ptr<Sink> MakeJunitSink() { return std::make_unique<JunitSink>(); }
std::unique_ptr<Sink> MakeMarkdownSink() { return std::make_unique<MarkdownSink>(); }
std::unique_ptr<Sink> MakeSarifSink(const SinkOptions& o) { return std::make_unique<SarifSink>(o); }

}  // namespace drift
