// `drift diff A B`: the ad-hoc structural diff of two files.
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/commands.h"
#include "core/crypto.h"
#include "core/files.h"
#include "core/parse.h"
#include "core/strings.h"
#include "ownership/ownership.h"
#include "outputs/sink.h"
#include "pipeline/program.h"
#include "rules/engine.h"
#include "state/store.h"

namespace drift {

namespace {

Result<Document> ReadDoc(const std::string& path, const std::string& format) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) return text.error();
  ParseOptions po;
  po.origin = path;
  if (!format.empty()) {
    auto fm = ParseFormatName(format);
    if (!fm.ok()) return fm.error();
    po.format = *fm;
  }
  return ParseDocument(*text, po);
}

}  // namespace

int Diff(const std::string& a_path, const std::string& b_path, const std::string& format,
         const std::vector<std::string>& normalize, const std::string& env_a,
         const std::string& env_b, const std::string& format_a, const std::string& format_b,
         std::ostream& out, std::ostream& err) {
  // Normalizers as drift.yaml spells them: names, or name:argument for list_key.
  std::string yaml = "[";
  for (size_t i = 0; i < normalize.size(); ++i) {
    const std::string& n = normalize[i];
    auto colon = n.find(':');
    if (i) yaml += ", ";
    if (colon == std::string::npos) yaml += JsonQuote(n);
    else {
      // Appended piecewise: `"literal" + std::string&&` trips GCC 12's -Wrestrict (PR105329).
      yaml += '{';
      yaml += JsonQuote(n.substr(0, colon));
      yaml += ": ";
      yaml += JsonQuote(n.substr(colon + 1));
      yaml += '}';
    }
  }
  yaml += "]";
  Diagnostics diags;
  YamlReader reader("--normalize", diags);
  NormalizerList norms = MakeNormalizers(YAML::Load(yaml), reader);
  if (diags.has_errors()) {
    for (const auto& d : diags.Sorted()) err << "drift: " << d.message << "\n";
    return kExitUsage;
  }
  auto a = ReadDoc(a_path, format_a);
  auto b = ReadDoc(b_path, format_b);
  if (!a.ok() || !b.ok()) {
    if (!a.ok()) err << a.error().ToString() << "\n";
    if (!b.ok()) err << b.error().ToString() << "\n";
    return kExitUsage;
  }
  Redactor redactor(RandomBytes(32));
  auto diffs = DiffDocuments(*a, *b, norms, EnvNames{env_a, {}, {}, {}, {}, false}, EnvNames{env_b, {}, {}, {}, {}, false}, redactor);
  if (format == "json") {
    nlohmann::ordered_json j;
    j["differences"] = nlohmann::ordered_json::array();
    for (const auto& f : diffs) {
      nlohmann::ordered_json d;
      d["path"] = f.path;
      d["kind"] = FindingKindName(f.kind);
      if (f.baseline_value) d["a"] = *f.baseline_value;
      if (f.value) d["b"] = *f.value;
      j["differences"].push_back(d);
    }
    j["summary"] = {{"differences", diffs.size()}};
    out << DumpJson(j, 2) << "\n";
  } else {
    for (const auto& f : diffs) {
      std::string path = f.path.empty() ? "(root)" : f.path;
      auto text = [](const std::optional<nlohmann::ordered_json>& v) {
        return v ? Shorten(DumpJson(*v), 120) : std::string("(absent)");
      };
      switch (f.kind) {
        case FindingKind::kMissing: out << "- " << path << ": " << text(f.baseline_value); break;
        case FindingKind::kExtra: out << "+ " << path << ": " << text(f.value); break;
        case FindingKind::kType:
          out << "! " << path << ": " << text(f.baseline_value) << " → " << text(f.value)
              << " (type)";
          break;
        default: out << "~ " << path << ": " << text(f.baseline_value) << " → " << text(f.value);
      }
      out << "\n";
    }
    out << diffs.size() << (diffs.size() == 1 ? " difference" : " differences") << "\n";
  }
  return diffs.empty() ? kExitOk : kExitFindings;
}

}  // namespace drift
