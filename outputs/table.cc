// check --format table: for people. Grouped by service, then env; colour only on a terminal.
#include <map>
#include <sstream>

#include "core/document.h"
#include "core/strings.h"
#include "outputs/sink.h"

namespace drift {

std::string ValueText(const std::optional<nlohmann::ordered_json>& v, size_t max) {
  if (!v) return "(absent)";
  std::string s = v->is_string() ? JsonQuote(v->get<std::string>()) : DumpJson(*v);
  if (v->is_string() && v->get<std::string>().starts_with("hmac:")) s = v->get<std::string>();
  return ShortenMiddle(s, max);
}

namespace {

const char* kReset = "\033[0m";
const char* SevColor(Severity s) {
  switch (s) {
    case Severity::kCritical: return "\033[1;31m";
    case Severity::kWarning: return "\033[33m";
    case Severity::kInfo: return "\033[36m";
  }
  return "";
}

class TableSink final : public Sink {
 public:
  explicit TableSink(SinkOptions o) : o_(std::move(o)) {}

  void Write(const CheckReport& r, std::ostream& out) const override {
    auto paint = [&](const char* color, const std::string& s) {
      return o_.color ? std::string(color) + s + kReset : s;
    };
    size_t value_width = std::max<size_t>(16, o_.width * 2 / 5);
    // Findings are sorted by service/source/path/env; regroup by service then env.
    std::map<std::string, std::vector<const Finding*>> by_service;
    std::vector<std::string> order;
    for (const auto& f : r.findings) {
      if (!by_service.count(f.service)) order.push_back(f.service);
      by_service[f.service].push_back(&f);
    }
    for (const auto& svc : order) {
      const auto& fs = by_service[svc];
      std::string owner = fs.front()->owner.empty() ? "unowned" : "owner " + fs.front()->owner;
      out << paint("\033[1m", svc) << "  (" << owner << ", " << fs.size()
          << (fs.size() == 1 ? " finding" : " findings") << ")\n";
      for (const auto& env : r.environments) {
        bool header = false;
        for (const Finding* f : fs) {
          if (f->env != env) continue;
          if (!header) {
            out << "  " << paint("\033[1m", env) << "\n";
            header = true;
          }
          std::string sev(SeverityName(f->severity));
          sev.resize(8, ' ');
          std::string kind(FindingKindName(f->kind));
          kind.resize(7, ' ');
          out << "    " << paint(SevColor(f->severity), sev) << " " << kind << " " << f->path;
          out << "  " << Detail(*f, r.baseline, value_width);
          out << "  [" << f->rule << "]\n";
        }
      }
      out << "\n";
    }
    if (!r.errors.empty()) {
      out << paint("\033[1;31m", "could not collect") << " (unknown, not drift):\n";
      for (const auto& e : r.errors)
        out << "  " << e.service << "/" << e.source << " in " << e.env << ": " << e.message << "\n";
      out << "\n";
    }
    out << r.findings.size() << (r.findings.size() == 1 ? " finding" : " findings") << " ("
        << r.count(Severity::kCritical) << " critical, " << r.count(Severity::kWarning)
        << " warning, " << r.count(Severity::kInfo) << " info) across " << r.sources
        << " sources";
    if (r.sources_failed) out << ", " << r.sources_failed << " failed";
    out << "; baseline " << r.baseline << "\n";
  }

 private:
  static std::string Detail(const Finding& f, const std::string& baseline, size_t w) {
    switch (f.kind) {
      case FindingKind::kMissing:
        return f.baseline_value ? baseline + " has " + ValueText(f.baseline_value, w) : "absent";
      case FindingKind::kExtra: return "only here: " + ValueText(f.value, w);
      case FindingKind::kSame:
        return "same as " + f.with_env + ": " + ValueText(f.value, w);
      case FindingKind::kPattern: return ValueText(f.value, w) + " does not match";
      default:
        if (f.kind == FindingKind::kChanged && f.value && f.baseline_value &&
            *f.value == *f.baseline_value)
          return ValueText(f.value, w) + " in both, but different after normalizing";
        return ValueText(f.baseline_value, w) + " → " + ValueText(f.value, w);
    }
  }
  SinkOptions o_;
};

}  // namespace

std::unique_ptr<Sink> MakeTableSink(const SinkOptions& o) { return std::make_unique<TableSink>(o); }

}  // namespace drift
