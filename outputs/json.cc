// check --format json, exactly as SPEC §5.
#include "outputs/sink.h"

#include "core/document.h"
#include "core/strings.h"

namespace drift {

namespace {
// A finding's fields in SPEC §5 order, written once for both writers (the JSON tree and the
// streamed text): `out.Text(key, s)`, `out.Value(key, json)`, `out.Bool(key, b)`.
template <typename Out>
void FindingFields(const Finding& f, Out& out) {
  out.Text("id", f.id);
  out.Text("service", f.service);
  out.Text("source", f.source);
  out.Text("path", f.path);
  out.Text("env", f.env);
  if (!f.with_env.empty()) out.Text("with_env", f.with_env);
  out.Text("rule", f.rule);
  out.Text("kind", FindingKindName(f.kind));
  out.Text("severity", SeverityName(f.severity));
  out.Text("owner", f.owner);
  if (f.baseline_value) out.Value("baseline_value", *f.baseline_value);
  if (f.value) out.Value("value", *f.value);
  out.Bool("redacted", f.redacted);
  out.Text("first_seen", f.first_seen);
  if (!f.message.empty()) out.Text("message", f.message);
  if (f.stale) {
    out.Bool("stale", true);
    out.Text("unknown_since", f.unknown_since);
  }
}

struct TreeOut {
  nlohmann::ordered_json j;
  void Text(const char* k, std::string_view v) { j[k] = std::string(v); }
  void Value(const char* k, const nlohmann::ordered_json& v) { j[k] = v; }
  void Bool(const char* k, bool v) { j[k] = v; }
};
}  // namespace

nlohmann::ordered_json FindingJson(const Finding& f) {
  TreeOut out;
  FindingFields(f, out);
  return std::move(out.j);
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
// A JSON string as nlohmann prints it (ASCII fast path; anything else through nlohmann so
// invalid UTF-8 is replaced the same way).
void AppendString(std::string& out, std::string_view v) {
  for (unsigned char c : v) {
    if (c >= 0x80) {
      out += DumpJson(nlohmann::ordered_json(std::string(v)));
      return;
    }
  }
  out += JsonQuote(v);
}

// `j` as nlohmann's dump(2) prints it when nested `indent` spaces deep.
void AppendValue(std::string& out, const nlohmann::ordered_json& j, size_t indent) {
  if (j.is_string()) return AppendString(out, j.get_ref<const std::string&>());
  if (j.is_primitive() || j.empty()) {
    out += DumpJson(j);
    return;
  }
  for (char c : DumpJson(j, 2)) {
    out += c;
    if (c == '\n') out.append(indent, ' ');
  }
}

// One finding, exactly as DumpJson(FindingJson(f), 2) nested in the findings array prints.
struct TextOut {
  std::string& out;
  bool first = true;
  void Key(const char* k) {
    out += first ? "    {\n      \"" : ",\n      \"";
    first = false;
    out += k;
    out += "\": ";
  }
  void Text(const char* k, std::string_view v) {
    Key(k);
    AppendString(out, v);
  }
  void Value(const char* k, const nlohmann::ordered_json& v) {
    Key(k);
    AppendValue(out, v, 6);
  }
  void Bool(const char* k, bool v) {
    Key(k);
    out += v ? "true" : "false";
  }
};

void AppendFinding(std::string& out, const Finding& f) {
  TextOut text{out};
  FindingFields(f, text);
  out += "\n    }";
}

class JsonSink final : public Sink {
 public:
  // Streams the findings one by one: a report can hold hundreds of thousands, and one
  // JSON tree of them all would cost several times their size. The text is exactly what
  // dumping ReportJson(report) with indent 2 prints.
  void Write(const CheckReport& report, std::ostream& out) const override {
    CheckReport head;
    head.checked_at = report.checked_at;
    head.baseline = report.baseline;
    head.environments = report.environments;
    head.errors = report.errors;
    head.sources = report.sources;
    head.sources_failed = report.sources_failed;
    nlohmann::ordered_json j = ReportJson(head);
    j["summary"]["findings"] = report.findings.size();
    j["summary"]["critical"] = report.count(Severity::kCritical);
    j["summary"]["warning"] = report.count(Severity::kWarning);
    j["summary"]["info"] = report.count(Severity::kInfo);
    std::string text = DumpJson(j, 2);
    const std::string marker = "\"findings\": []";
    size_t at = text.find(marker);
    if (report.findings.empty() || at == std::string::npos) {
      out << text << "\n";
      return;
    }
    out << std::string_view(text).substr(0, at) << "\"findings\": [\n";
    std::string chunk;
    for (size_t i = 0; i < report.findings.size(); ++i) {
      AppendFinding(chunk, report.findings[i]);
      chunk += i + 1 < report.findings.size() ? ",\n" : "\n";
      if (chunk.size() > (1 << 16)) {
        out << chunk;
        chunk.clear();
      }
    }
    out << chunk;
    out << "  ]" << std::string_view(text).substr(at + marker.size()) << "\n";
  }
};
}  // namespace

std::unique_ptr<Sink> MakeJsonSink() { return std::make_unique<JsonSink>(); }

}  // namespace drift
