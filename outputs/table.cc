// check --format table: for people. Grouped by service, then env; colour only on a terminal.
#include <algorithm>
#include <cstdint>
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

// A value as the table shows it: JSON, a string quoted, a fingerprint as is.
std::string Plain(const nlohmann::ordered_json& v) {
  if (v.is_string()) {
    const std::string& t = v.get_ref<const std::string&>();
    return t.starts_with("hmac:") ? t : JsonQuote(t);
  }
  return DumpJson(v);
}

class TableSink final : public Sink {
 public:
  explicit TableSink(SinkOptions o) : o_(std::move(o)) {}

  void Write(const CheckReport& r, std::ostream& out) const override {
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
      out << Paint("\033[1m", svc) << "  (" << owner << ", " << fs.size()
          << (fs.size() == 1 ? " finding" : " findings") << ")\n";
      for (const auto& env : r.environments) {
        bool header = false;
        for (const Finding* f : fs) {
          if (f->env != env) continue;
          if (!header) {
            out << "  " << Paint("\033[1m", env) << "\n";
            header = true;
          }
          Line(*f, r.baseline, out);
        }
      }
      out << "\n";
    }
    if (!r.errors.empty()) {
      out << Paint("\033[1;31m", "could not collect") << " (unknown, not drift):\n";
      for (const auto& e : r.errors)
        out << Wrap("  " + e.service + "/" + e.source + " in " + e.env + ": " + e.message, 4);
      out << "\n";
    }
    std::string summary = std::to_string(r.findings.size()) +
                          (r.findings.size() == 1 ? " finding" : " findings") + " (" +
                          std::to_string(r.count(Severity::kCritical)) + " critical, " +
                          std::to_string(r.count(Severity::kWarning)) + " warning, " +
                          std::to_string(r.count(Severity::kInfo)) + " info) across " +
                          std::to_string(r.sources) + " sources";
    if (r.sources_failed) summary += ", " + std::to_string(r.sources_failed) + " failed";
    out << Wrap(summary + "; baseline " + r.baseline, 0);
  }

 private:
  static constexpr size_t kHead = 21;    // "    critical changed "
  static constexpr size_t kIndent = 8;   // a second line's indentation

  size_t Width() const { return std::max<size_t>(o_.width, 40); }

  // Text broken at spaces into lines of at most the width, the later ones indented; a word
  // longer than a line is cut.
  std::string Wrap(const std::string& text, size_t indent) const {
    std::string out, line;
    std::istringstream words(text);
    size_t lead = text.find_first_not_of(' ');
    line = text.substr(0, lead == std::string::npos ? 0 : lead);
    bool first_word = true;
    for (std::string w; words >> w;) {
      size_t room = Width();
      if (!first_word && DisplayWidth(line) + 1 + DisplayWidth(w) > room) {
        out += line + "\n";
        line = std::string(indent, ' ');
        first_word = true;
      }
      if (!first_word) line += ' ';
      line += w;
      first_word = false;
      if (DisplayWidth(line) > room) line = Shorten(line, room);
    }
    return out + line + "\n";
  }

  std::string Paint(const char* color, const std::string& s) const {
    return o_.color ? std::string(color) + s + kReset : s;
  }

  // One finding: "SEVERITY KIND PATH  DETAIL  [rule]" on one line when it fits the width,
  // else the path and rule on one line and the detail, shortened to fit, on the next.
  void Line(const Finding& f, const std::string& baseline, std::ostream& out) const {
    std::string sev(SeverityName(f.severity));
    sev.resize(8, ' ');
    std::string kind(FindingKindName(f.kind));
    kind.resize(7, ' ');
    std::string head = "    " + Paint(SevColor(f.severity), sev) + " " + kind + " ";
    std::string rule = "  [" + f.rule + "]";
    size_t width = Width();
    std::string full = Detail(f, baseline, SIZE_MAX);
    if (kHead + DisplayWidth(f.path) + 2 + DisplayWidth(full) + DisplayWidth(rule) <= width) {
      out << head << f.path << "  " << full << rule << "\n";
      return;
    }
    size_t path_room = width > kHead + DisplayWidth(rule) ? width - kHead - DisplayWidth(rule) : 8;
    out << head << ShortenMiddle(f.path, std::max<size_t>(path_room, 8)) << rule << "\n";
    // The values on the next line; the message after them, or on a line of its own.
    Finding values_only = f;
    values_only.message.clear();
    std::string detail = Fit(values_only, baseline, width - kIndent);
    std::string message = f.message.empty() ? "" : " (" + f.message + ")";
    if (kIndent + DisplayWidth(detail) + DisplayWidth(message) <= width) {
      out << std::string(kIndent, ' ') << detail << message << "\n";
      return;
    }
    out << std::string(kIndent, ' ') << detail << "\n";
    out << std::string(kIndent, ' ') << Shorten(f.message, width - kIndent) << "\n";
  }

  // The detail in at most `room` columns: values shortened around their first difference,
  // then the message cut when even short values leave no room for it.
  static std::string Fit(const Finding& f, const std::string& baseline, size_t room) {
    size_t lo = 12, hi = room;
    std::string best = Detail(f, baseline, lo);
    while (lo <= hi) {  // the widest values that fit
      size_t mid = (lo + hi) / 2;
      std::string d = Detail(f, baseline, mid);
      if (DisplayWidth(d) <= room) {
        best = std::move(d);
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return DisplayWidth(best) <= room ? best : Shorten(best, room);
  }

  // What is wrong, with each value at most `w` columns.
  static std::string Detail(const Finding& f, const std::string& baseline, size_t w) {
    auto [b, v] = ShortenValues(f.baseline_value ? Plain(*f.baseline_value) : "(absent)",
                                f.value ? Plain(*f.value) : "(absent)",
                                f.baseline_value && f.value, w);
    std::string d;
    switch (f.kind) {
      case FindingKind::kMissing: d = f.baseline_value ? baseline + " has " + b : "absent"; break;
      case FindingKind::kExtra: d = "only here: " + v; break;
      case FindingKind::kSame: d = "same as " + f.with_env + ": " + v; break;
      case FindingKind::kPattern: d = v + " does not match"; break;
      default:
        if (f.kind == FindingKind::kChanged && f.value && f.baseline_value &&
            *f.value == *f.baseline_value)
          d = v + " in both: " + baseline + "'s value, not this env's own";
        else
          d = b + " → " + v;
    }
    if (!f.message.empty()) d += " (" + f.message + ")";
    return d;
  }
  SinkOptions o_;
};

}  // namespace

std::unique_ptr<Sink> MakeTableSink(const SinkOptions& o) { return std::make_unique<TableSink>(o); }

}  // namespace drift
