// `drift owners` and `drift history`: what the config and the state store say.
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

int Owners(const std::string& config_path, const std::string& only, const std::string& format,
           bool check, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  auto config = LoadConfig(config_path, diags);
  if (!config || diags.has_errors()) {
    PrintDiagnostics(diags, err);
    return kExitUsage;
  }
  // Discovered services have owners too (their template's, or their repos').
  if (!config->discover.empty()) ApplyDiscovery(*config, Discover(*config), diags);
  if (diags.has_errors()) {
    PrintDiagnostics(diags, err);
    return kExitUsage;
  }
  if (!only.empty() && !config->service(only)) {
    err << "drift: unknown service '" << only << "' (not in " << config->path << ")\n";
    return kExitUsage;
  }
  Diagnostics warnings;
  std::vector<ServiceOwnership> all;
  for (const auto& s : config->services)
    if (only.empty() || s.name == only) all.push_back(ResolveOwnership(*config, s, warnings));
  PrintDiagnostics(warnings, err);
  bool failed = false;
  for (const auto& o : all) failed = failed || o.owner.empty() || o.disagreement;
  if (format == "json") {
    nlohmann::ordered_json j;
    j["services"] = nlohmann::ordered_json::array();
    for (const auto& o : all) {
      nlohmann::ordered_json s;
      s["service"] = o.service;
      s["owner"] = o.owner;
      s["from"] = o.from;
      s["candidates"] = nlohmann::ordered_json::array();
      for (const auto& c : o.candidates) s["candidates"].push_back({{"from", c.from}, {"owner", c.owner}});
      s["disagreement"] = o.disagreement;
      j["services"].push_back(s);
    }
    out << DumpJson(j, 2) << "\n";
  } else {
    size_t w = 7;
    for (const auto& o : all) w = std::max(w, o.service.size());
    for (const auto& o : all) {
      std::string name = o.service;
      name.resize(w, ' ');
      out << name << "  ";
      if (o.owner.empty()) {
        out << "UNOWNED (no owner in drift.yaml, catalog-info.yaml, openedx.yaml or CODEOWNERS)";
      } else {
        out << o.owner << "  (from " << o.from << ")";
        for (const auto& c : o.candidates) out << "  " << c.from << ": " << c.owner;
        if (o.disagreement) out << "  DISAGREEMENT";
      }
      out << "\n";
    }
  }
  return check && failed ? kExitFindings : kExitOk;
}

nlohmann::ordered_json RecordJson(const FindingRecord& r) {
  nlohmann::ordered_json j;
  auto value = [](const std::string& text) {
    return text.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json::parse(text, nullptr, false);
  };
  j["id"] = r.id;
  if (!r.service.empty()) {
    j["service"] = r.service;
    j["source"] = r.source;
    j["path"] = r.path;
    j["env"] = r.env;
    j["rule"] = r.rule;
    j["kind"] = r.kind;
    j["severity"] = r.severity;
  }
  j["first_seen"] = r.first_seen;
  if (!r.last_seen.empty()) j["last_seen"] = r.last_seen;
  j["resolved_at"] = r.resolved_at.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(r.resolved_at);
  if (!r.baseline_value.empty()) j["baseline_value"] = value(r.baseline_value);
  if (!r.value.empty()) j["value"] = value(r.value);
  return j;
}

int History(const std::string& config_path, const std::string& finding, const std::string& service,
            const std::string& path, const std::string& format, std::ostream& out,
            std::ostream& err) {
  Diagnostics diags;
  auto config = LoadConfig(config_path, diags);
  if (!config || diags.has_errors()) {
    PrintDiagnostics(diags, err);
    return kExitUsage;
  }
  if (finding.empty() == (service.empty() || path.empty())) {
    err << "drift: history needs --finding ID, or --service S and --path P\n";
    return kExitUsage;
  }
  if (config->state_path.empty()) {
    err << "drift: " << config->path << " has no state.path: there is no history\n";
    return kExitUsage;
  }
  if (!std::filesystem::exists(config->state_path)) {
    err << "drift: no state store at " << config->state_path << " yet (run drift check or the daemon)\n";
    return kExitUsage;
  }
  auto store = Store::Open(config->state_path);
  if (!store.ok()) {
    err << "drift: " << store.error().message << "\n";
    return kExitUsage;
  }
  if (!finding.empty()) {
    auto rec = (*store)->FindingById(finding);
    if (!rec) {
      err << "drift: no finding " << finding << " in " << config->state_path << "\n";
      return kExitFindings;
    }
    auto earlier = (*store)->FindingHistory(finding);
    if (format == "json") {
      auto j = RecordJson(*rec);
      j["history"] = nlohmann::ordered_json::array();
      for (const auto& h : earlier) j["history"].push_back(RecordJson(h));
      out << DumpJson(nlohmann::ordered_json{{"finding", j}}, 2) << "\n";
      return kExitOk;
    }
    out << "finding " << rec->id << ": " << rec->service << " " << rec->path << " in " << rec->env
        << " (rule " << rec->rule << ", " << rec->kind << ", " << rec->severity << ")\n";
    if (rec->resolved_at.empty())
      out << "  open since " << rec->first_seen << ", last seen " << rec->last_seen << "\n";
    else
      out << "  seen " << rec->first_seen << " to " << rec->last_seen << ", resolved "
          << rec->resolved_at << "\n";
    out << "  baseline: " << (rec->baseline_value.empty() ? "(absent)" : rec->baseline_value)
        << "  value: " << (rec->value.empty() ? "(absent)" : rec->value) << "\n";
    for (const auto& h : earlier)
      out << "  earlier: " << h.first_seen << " to " << h.resolved_at << "\n";
    return kExitOk;
  }
  auto parsed = ParsePath(path);
  if (!parsed.ok() || parsed->empty() || (*parsed)[0].kind != PathSegment::Kind::kKey) {
    err << "drift: invalid path '" << path << "'" << (parsed.ok() ? "" : ": " + parsed.error().message)
        << "\n";
    return kExitUsage;
  }
  auto findings = (*store)->FindingsForPath(service, path);
  // The path's value in every recorded snapshot, keeping only changes per env.
  nlohmann::ordered_json values = nlohmann::ordered_json::array();
  std::map<std::string, std::string> last;
  for (const auto& snap : (*store)->SnapshotHistory(service, (*parsed)[0].key)) {
    std::string shown = "(not stored)";
    if (!snap.document.empty()) {
      auto doc = nlohmann::ordered_json::parse(snap.document, nullptr, false);
      const nlohmann::ordered_json* cur = &doc;
      for (size_t i = 1; i < parsed->size() && cur; ++i) {
        const auto& seg = (*parsed)[i];
        if (seg.kind == PathSegment::Kind::kKey && cur->is_object() && cur->contains(seg.key))
          cur = &(*cur)[seg.key];
        else if (seg.kind == PathSegment::Kind::kIndex && cur->is_array() &&
                 seg.index < static_cast<int64_t>(cur->size()))
          cur = &(*cur)[seg.index];
        else
          cur = nullptr;
      }
      shown = cur ? DumpJson(*cur) : "(absent)";
    }
    if (last[snap.env] == shown) continue;
    last[snap.env] = shown;
    values.push_back({{"at", snap.collected_at}, {"env", snap.env}, {"value", shown}});
  }
  if (format == "json") {
    nlohmann::ordered_json j;
    j["service"] = service;
    j["path"] = path;
    j["findings"] = nlohmann::ordered_json::array();
    for (const auto& f : findings) j["findings"].push_back(RecordJson(f));
    j["values"] = values;
    out << DumpJson(j, 2) << "\n";
    return kExitOk;
  }
  out << service << " " << path << "\n  findings:\n";
  if (findings.empty()) out << "    (none recorded)\n";
  for (const auto& f : findings)
    out << "    " << f.env << "  " << f.kind << "  " << f.rule << "  "
        << (f.resolved_at.empty() ? "open since " + f.first_seen
                                  : f.first_seen + " to " + f.resolved_at) << "  [" << f.id << "]\n";
  out << "  values over time:\n";
  for (const auto& v : values)
    out << "    " << v["at"].get<std::string>() << "  " << v["env"].get<std::string>() << "  "
        << v["value"].get<std::string>() << "\n";
  return kExitOk;
}

}  // namespace drift
