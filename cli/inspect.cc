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
#include "state/history.h"
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
    auto j = FindingHistoryJson(**store, finding);
    if (!j) {
      err << "drift: no finding " << finding << " in " << config->state_path << "\n";
      return kExitFindings;
    }
    if (format == "json") {
      out << DumpJson(*j, 2) << "\n";
      return kExitOk;
    }
    const auto& f = (*j)["finding"];
    auto text = [](const nlohmann::ordered_json& v) {
      return v.is_null() ? std::string("(absent)") : DumpJson(v);
    };
    out << "finding " << f["id"].get<std::string>() << ": " << f["service"].get<std::string>() << " "
        << f["path"].get<std::string>() << " in " << f["env"].get<std::string>() << " (rule "
        << f["rule"].get<std::string>() << ", " << f["kind"].get<std::string>() << ", "
        << f["severity"].get<std::string>() << ")\n";
    if (f["resolved_at"].is_null())
      out << "  open since " << f["first_seen"].get<std::string>() << ", last seen "
          << f.value("last_seen", "") << "\n";
    else
      out << "  seen " << f["first_seen"].get<std::string>() << " to " << f.value("last_seen", "")
          << ", resolved " << f["resolved_at"].get<std::string>() << "\n";
    out << "  baseline: " << text(f.value("baseline_value", nlohmann::ordered_json()))
        << "  value: " << text(f.value("value", nlohmann::ordered_json())) << "\n";
    for (const auto& h : f["history"])
      out << "  earlier: " << h["first_seen"].get<std::string>() << " to "
          << h["resolved_at"].get<std::string>() << "\n";
    return kExitOk;
  }
  auto j = PathHistoryJson(**store, service, path, "");
  if (!j.ok()) {
    err << "drift: " << j.error().message << "\n";
    return kExitUsage;
  }
  if (format == "json") {
    out << DumpJson(*j, 2) << "\n";
    return kExitOk;
  }
  out << service << " " << path << "\n  findings:\n";
  if ((*j)["findings"].empty()) out << "    (none recorded)\n";
  for (const auto& f : (*j)["findings"])
    out << "    " << f["env"].get<std::string>() << "  " << f["kind"].get<std::string>() << "  "
        << f["rule"].get<std::string>() << "  "
        << (f["resolved_at"].is_null()
                ? "open since " + f["first_seen"].get<std::string>()
                : f["first_seen"].get<std::string>() + " to " + f["resolved_at"].get<std::string>())
        << "  [" << f["id"].get<std::string>() << "]\n";
  out << "  values over time:\n";
  for (const auto& v : (*j)["values"])
    out << "    " << v["at"].get<std::string>() << "  " << v["env"].get<std::string>() << "  "
        << v["value"].get<std::string>() << "\n";
  return kExitOk;
}

}  // namespace drift
