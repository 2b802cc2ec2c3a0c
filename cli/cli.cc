#include "cli/cli.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <functional>
#include <sstream>

#include "core/files.h"
#include "core/parse.h"
#include "core/crypto.h"
#include "core/strings.h"
#include "outputs/sink.h"
#include "daemon/daemon.h"
#include "ownership/ownership.h"
#include "state/store.h"

#include <filesystem>
#include <map>
#include "pipeline/program.h"
#include "rules/engine.h"

namespace drift {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFindings = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnknown = 3;

// Logs go to stderr (stdout carries reports), at the level asked for.
void SetUpLogging(const std::string& level) {
  static const bool once = [] {
    auto logger = spdlog::stderr_color_mt("drift");
    spdlog::set_default_logger(logger);
    return true;
  }();
  (void)once;
  spdlog::set_level(spdlog::level::from_str(level == "warn" ? "warning" : level));
}

void PrintDiagnostics(const Diagnostics& diags, std::ostream& err) {
  for (const auto& d : diags.Sorted()) err << d.ToString() << "\n";
}

std::string YamlSingleQuoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else out += c;
  }
  return out + "'";
}

std::string DatePlusDays(std::chrono::sys_days today, int days) {
  std::chrono::year_month_day ymd{today + std::chrono::days(days)};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

void SuggestWaivers(const CheckReport& r, std::chrono::sys_days today, std::ostream& out) {
  // One entry per (service, path, rule), naming the envs it silences.
  struct Entry {
    std::string service, path, rule;
    std::vector<std::string> envs;
  };
  std::vector<Entry> entries;
  for (const auto& f : r.findings) {
    Entry* e = nullptr;
    for (auto& x : entries)
      if (x.service == f.service && x.path == f.path && x.rule == f.rule) e = &x;
    if (!e) {
      entries.push_back(Entry{f.service, f.path, f.rule, {}});
      e = &entries.back();
    }
    if (std::find(e->envs.begin(), e->envs.end(), f.env) == e->envs.end()) e->envs.push_back(f.env);
  }
  out << "# " << entries.size() << " waiver" << (entries.size() == 1 ? "" : "s") << " for "
      << r.findings.size() << " finding" << (r.findings.size() == 1 ? "" : "s")
      << ". Paste under `rules:` (before the rule they silence), then fill in reason and ticket.\n";
  std::string expires = DatePlusDays(today, 30);
  for (const auto& e : entries) {
    out << "  - ignore: " << YamlSingleQuoted(e.path) << "\n";
    out << "    services: [" << e.service << "]\n";
    out << "    envs: [" << Join(e.envs, ", ") << "]\n";
    out << "    reason: TODO  # silences rule " << e.rule << "\n";
    out << "    ticket: TODO\n";
    out << "    expires: " << expires << "\n";
  }
}

int Check(const std::string& config_path, const std::string& format, const std::string& fail_on,
          const std::vector<std::string>& services, const std::vector<std::string>& envs,
          const std::string& output, bool suggest, bool timings, bool tty, std::ostream& out,
          std::ostream& err) {
  Diagnostics diags;
  auto program = LoadProgram(config_path, diags);
  if (!program) {
    PrintDiagnostics(diags, err);
    return kExitUsage;
  }
  for (const auto& d : diags.Sorted()) err << d.ToString() << "\n";  // warnings
  for (const auto& w : program->warnings) err << "drift: warning: " << w << "\n";
  for (const auto& w : program->ownership_warnings) err << w.ToString() << "\n";
  const Config& c = program->config;
  bool bad = false;
  for (const auto& s : services) {
    if (!c.service(s)) {
      err << "drift: unknown service '" << s << "' (not in " << c.path << ")\n";
      bad = true;
    }
  }
  for (const auto& e : envs) {
    if (c.env_index(e) < 0) {
      err << "drift: unknown environment '" << e << "' (not in " << c.path << ")\n";
      bad = true;
    }
  }
  if (bad) return kExitUsage;

  SinkOptions so;
  so.color = tty && output.empty() && !std::getenv("NO_COLOR");
  so.config_path = c.path;
  auto sink = MakeSink(format, so);
  CheckOptions co;
  co.services = services;
  co.envs = envs;
  // The process's pool; it outlives the report, whose store writes may still run on it.
  Executor executor(CheckWorkers(program->config));
  co.executor = &executor;
  co.record_in_background = true;
  CheckReport report = RunCheck(*program, co);
  for (const auto& w : report.warnings) err << "drift: warning: " << w << "\n";
  for (const auto& e : report.errors)
    err << "drift: cannot collect service " << e.service << ", source " << e.source << ", env "
        << e.env << ": " << e.message << "\n";

  std::ofstream file;
  std::ostream* dest = &out;
  if (!output.empty()) {
    file.open(output, std::ios::binary | std::ios::trunc);
    if (!file) {
      err << "drift: cannot write " << output << "\n";
      return kExitUsage;
    }
    dest = &file;
  }
  if (suggest) SuggestWaivers(report, program->today, *dest);
  else sink->Write(report, *dest);
  dest->flush();
  // The state store's writes ran beside the rendering; a check ends when they are done.
  size_t shown = report.warnings.size();
  report.FinishRecording();
  for (size_t i = shown; i < report.warnings.size(); ++i)
    err << "drift: warning: " << report.warnings[i] << "\n";
  if (timings)
    err << "drift: timings: collect+parse " << report.collect_seconds << " s, evaluate "
        << report.evaluate_seconds << " s, state store " << report.record_seconds << " s, "
        << report.findings.size() << " findings\n";

  if (fail_on != "never") {
    Severity threshold = *ParseSeverity(fail_on);
    for (const auto& f : report.findings)
      if (f.severity >= threshold) return kExitFindings;
  }
  return report.errors.empty() ? kExitOk : kExitUnknown;
}

int Validate(const std::string& config_path, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  LoadOptions lo;
  lo.check_secret_refs = true;
  lo.create_key = false;
  auto program = LoadProgram(config_path, diags, lo);
  PrintDiagnostics(diags, err);
  if (!program) {
    size_t n = diags.error_count();
    err << config_path << ": " << n << (n == 1 ? " error" : " errors") << "\n";
    return kExitUsage;
  }
  const Config& c = program->config;
  size_t sources = 0;
  for (const auto& s : c.services) sources += s.sources.size();
  size_t match_rules = 0, ignores = 0;
  for (const auto& r : c.rules) (r.ignore ? ignores : match_rules)++;
  out << c.path << ": ok — " << c.environments.size() << " environments (baseline " << c.baseline
      << "), " << c.services.size() << " services, " << sources << " sources ("
      << program->targets.size() << " collections across envs), " << match_rules << " rules, " << ignores
      << " ignores";
  size_t expired = program->rules->expired_waivers(program->today);
  if (expired) out << " (" << expired << " expired)";
  out << "\n";
  return kExitOk;
}

int Owners(const std::string& config_path, const std::string& only, const std::string& format,
           bool check, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  auto config = LoadConfig(config_path, diags);
  if (!config || diags.has_errors()) {
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
    else yaml += "{" + JsonQuote(n.substr(0, colon)) + ": " + JsonQuote(n.substr(colon + 1)) + "}";
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
  auto diffs = DiffDocuments(*a, *b, norms, EnvNames{env_a, {}, {}}, EnvNames{env_b, {}, {}}, redactor);
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

}  // namespace

namespace {

// One subcommand: its CLI11 app (options bound to state the runner owns) and what runs it.
struct Command {
  CLI::App* app;
  std::function<int()> run;
};

struct Io {
  std::string& config;  // -c, shared by the subcommands that read a config
  std::ostream& out;
  std::ostream& err;
  bool tty;
};

CLI::Option* AddConfig(CLI::App* sub, Io& io) {
  return sub->add_option("-c,--config", io.config, "config file")->capture_default_str();
}

Command AddCheck(CLI::App& app, Io& io) {
  struct Options {
    std::string format = "table", fail_on = "warning", output;
    std::vector<std::string> services, envs;
    bool suggest = false, timings = false;
  };
  auto o = std::make_shared<Options>();
  auto* check = app.add_subcommand("check", "collect every source once, evaluate rules, print findings");
  AddConfig(check, io);
  std::string formats_help = "output format:";
  for (const auto& s : BuiltinSinks())
    formats_help += "\n  " + std::string(s.name) + ": " + std::string(s.help);
  check->add_option("--format", o->format, formats_help)
      ->check(CLI::IsMember(SinkNames()))
      ->capture_default_str();
  check->add_option("--fail-on", o->fail_on, "exit 1 on findings at or above this severity")
      ->check(CLI::IsMember({"info", "warning", "critical", "never"}))
      ->capture_default_str();
  check->add_option("--service", o->services, "only this service (repeatable)");
  check->add_option("--env", o->envs, "only findings in this env (repeatable)");
  check->add_option("-o,--output", o->output, "write the report to FILE");
  check->add_flag("--suggest-waivers", o->suggest, "print ignore entries that would silence the findings");
  check->add_flag("--timings", o->timings, "print collection and evaluation times to stderr");
  return {check, [o, &io] {
            return Check(io.config, o->format, o->fail_on, o->services, o->envs, o->output,
                         o->suggest, o->timings, io.tty, io.out, io.err);
          }};
}

Command AddDiff(CLI::App& app, Io& io) {
  struct Options {
    std::string a, b, format = "table", env_a = "a", env_b = "b", format_a, format_b;
    std::vector<std::string> normalize;
  };
  auto o = std::make_shared<Options>();
  auto* diff = app.add_subcommand("diff", "structural diff of two files (yaml/json/env/ini)");
  diff->add_option("A", o->a, "first file")->required();
  diff->add_option("B", o->b, "second file")->required();
  diff->add_option("--format", o->format, "output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  std::string normalize_help = "normalizer (repeatable):";
  for (const auto& n : BuiltinNormalizers()) {
    if (!n.needs.empty() && n.cli_argument.empty()) continue;  // not expressible as name:ARG
    normalize_help += "\n  " + std::string(n.name) +
                      (n.cli_argument.empty() ? "" : ":" + std::string(n.cli_argument)) + ": " +
                      std::string(n.help);
  }
  diff->add_option("--normalize", o->normalize, normalize_help);
  diff->add_option("--env-a", o->env_a, "env name of A (for env_tokens)");
  diff->add_option("--env-b", o->env_b, "env name of B (for env_tokens)");
  diff->add_option("--format-a", o->format_a, "format of A (default: by extension)");
  diff->add_option("--format-b", o->format_b, "format of B (default: by extension)");
  return {diff, [o, &io] {
            return Diff(o->a, o->b, o->format, o->normalize, o->env_a, o->env_b, o->format_a,
                        o->format_b, io.out, io.err);
          }};
}

Command AddOwners(CLI::App& app, Io& io) {
  struct Options {
    std::string service, format = "table";
    bool check = false;
  };
  auto o = std::make_shared<Options>();
  auto* owners = app.add_subcommand("owners", "each service's owner and where it came from");
  AddConfig(owners, io);
  owners->add_option("SERVICE", o->service, "only this service");
  owners->add_option("--format", o->format, "output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  owners->add_flag("--check", o->check, "exit 1 on unowned services and disagreements");
  return {owners, [o, &io] { return Owners(io.config, o->service, o->format, o->check, io.out, io.err); }};
}

Command AddHistory(CLI::App& app, Io& io) {
  struct Options {
    std::string finding, service, path, format = "table";
  };
  auto o = std::make_shared<Options>();
  auto* history =
      app.add_subcommand("history", "when a finding was first/last seen, and a path's values over time");
  AddConfig(history, io);
  history->add_option("--finding", o->finding, "a finding id");
  history->add_option("--service", o->service, "a service (with --path)");
  history->add_option("--path", o->path, "a path such as settings.FEATURES.X");
  history->add_option("--format", o->format, "output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  return {history, [o, &io] {
            return History(io.config, o->finding, o->service, o->path, o->format, io.out, io.err);
          }};
}

Command AddDaemon(CLI::App& app, Io& io, DaemonOptions& dopts) {
  auto shard = std::make_shared<std::string>();
  auto* daemon = app.add_subcommand("daemon", "run the scheduler, API, metrics and alerting");
  AddConfig(daemon, io);
  daemon->add_option("--listen", dopts.listen, "HOST:PORT (default: server.listen)");
  daemon->add_option("--shard", *shard, "I/N: own the services whose name hashes to I mod N");
  daemon->add_flag("--once", dopts.once, "run one full round, then exit");
  daemon->add_option("--log-format", dopts.log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  return {daemon, [shard, &dopts, &io] {
            dopts.config_path = io.config;
            if (!shard->empty()) {
              int i = -1, n = 0;
              char extra;
              if (std::sscanf(shard->c_str(), "%d/%d%c", &i, &n, &extra) != 2 || n < 1 || i < 0 ||
                  i >= n) {
                io.err << "drift: --shard must be I/N with 0 <= I < N, got '" << *shard << "'\n";
                return kExitUsage;
              }
              dopts.shard_index = i;
              dopts.shard_count = n;
            }
            return RunDaemon(dopts);
          }};
}

}  // namespace

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, bool tty) {
  CLI::App app{"drift — catch configuration drift between environments", "drift"};
  app.require_subcommand(1);
  std::string config = "drift.yaml";
  Io io{config, out, err, tty};
  DaemonOptions dopts;
  std::vector<Command> commands{AddCheck(app, io)};
  auto* validate = app.add_subcommand("validate", "check the config only");
  AddConfig(validate, io);
  commands.push_back({validate, [&io] { return Validate(io.config, io.out, io.err); }});
  commands.push_back(AddDiff(app, io));
  commands.push_back(AddOwners(app, io));
  commands.push_back(AddHistory(app, io));
  commands.push_back(AddDaemon(app, io, dopts));
  auto* version = app.add_subcommand("version", "version and build info");

  // SPEC §5: every command takes --log-level (-v debug, -q error) and logs to stderr.
  std::string log_level = "info";
  bool verbose = false, quiet = false;
  for (const Command& c : commands) {
    c.app->add_option("--log-level", log_level, "debug, info, warn or error")
        ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
        ->capture_default_str();
    c.app->add_flag("-v,--verbose", verbose, "same as --log-level debug");
    c.app->add_flag("-q,--quiet", quiet, "same as --log-level error");
  }

  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    std::stringstream o, er;
    int rc = app.exit(e, o, er);
    out << o.str();
    err << er.str();
    return rc == 0 ? kExitOk : kExitUsage;
  }
  if (verbose) log_level = "debug";
  if (quiet) log_level = "error";
  SetUpLogging(log_level);
  dopts.log_level = log_level;
  try {
    for (const Command& c : commands)
      if (*c.app) return c.run();
    if (*version) {
      out << "drift " << DRIFT_VERSION << " (C++20, g++ " << __VERSION__ << ")\n";
      return kExitOk;
    }
  } catch (const std::exception& e) {
    // Only invariant failures get here; external input is reported as values.
    err << "drift: internal error: " << e.what() << "\n";
    return kExitUsage;
  }
  return kExitUsage;
}

}  // namespace drift
