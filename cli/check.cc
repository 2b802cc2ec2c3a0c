// `drift check` and `drift validate`.
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <mutex>
#include <condition_variable>
#include <map>
#include <sstream>

#include <sys/ioctl.h>
#include <unistd.h>

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

// SPEC §5: the table is as wide as the terminal: COLUMNS when set, else the terminal's own
// width when printing to one, else 100.
size_t TableWidth(bool terminal) {
  if (const char* c = std::getenv("COLUMNS")) {
    char* end = nullptr;
    long v = std::strtol(c, &end, 10);
    if (end != c && *end == '\0' && v > 0 && v < 10000) return static_cast<size_t>(v);
  }
  winsize ws{};
  if (terminal && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 100;
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
      << ". Paste under `rules:` (anywhere: ignores always win), then fill in reason and ticket.\n";
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

// --list-services: each service, its envs, and where it came from.
void ListServices(const Program& p, std::ostream& out) {
  const Config& c = p.config;
  size_t width = 7;
  for (const auto& s : c.services) width = std::max(width, s.name.size());
  for (const auto& s : c.services) {
    std::string name = s.name;
    name.resize(width, ' ');
    std::string from = s.discovered_by.empty()
                           ? c.path + ":" + std::to_string(s.where.line)
                           : "discover " + s.discovered_by;
    out << name << "  " << Join(s.envs, ", ") << "  (" << from;
    if (!s.discovery_missing.empty()) out << "; missing in " << Join(s.discovery_missing, ", ");
    if (!s.discovery_unknown.empty()) {
      std::vector<std::string> unknown;
      for (const auto& [env, why] : s.discovery_unknown) unknown.push_back(env);
      out << "; unknown in " << Join(unknown, ", ");
    }
    out << ")\n";
  }
}

}  // namespace

std::string ProgressLine(const CheckProgress::Snapshot& s, int per_host) {
  std::string line = "collecting " + std::to_string(s.done) + "/" + std::to_string(s.total) +
                     " sources, " + std::to_string(s.failed) + " failed";
  std::string waiting;
  for (const auto& h : s.busiest) {
    if (h.left <= static_cast<size_t>(per_host)) break;
    waiting += (waiting.empty() ? "; waiting on " : ", ") + h.name + " (" +
               std::to_string(h.left) + " left, " + std::to_string(per_host) + " at a time)";
  }
  return line + waiting;
}

int Check(const std::string& config_path, const CheckArgs& args, bool tty, std::ostream& out,
          std::ostream& err) {
  const std::string& format = args.format;
  const std::string& fail_on = args.fail_on;
  const std::vector<std::string>& services = args.services;
  const std::vector<std::string>& envs = args.envs;
  const std::string& output = args.output;
  bool suggest = args.suggest, timings = args.timings;
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
  if (args.list_services) {
    ListServices(*program, out);
    return kExitOk;
  }

  SinkOptions so;
  so.color = tty && output.empty() && !std::getenv("NO_COLOR");
  so.width = TableWidth(tty && output.empty());
  so.config_path = c.path;
  auto sink = MakeSink(format, so);
  CheckOptions co;
  co.services = services;
  co.envs = envs;
  // The process's pool; it outlives the report, whose store writes may still run on it.
  Executor executor(CheckWorkers(program->config));
  co.executor = &executor;
  co.record_in_background = true;
  CheckProgress progress;
  std::mutex progress_mu;
  std::condition_variable progress_cv;
  bool collected = false;
  std::thread printer;
  // Stops the printer however RunCheck ends (a joinable thread destroyed would terminate).
  auto stop_printer = [&] {
    if (!printer.joinable()) return;
    {
      std::lock_guard lock(progress_mu);
      collected = true;
    }
    progress_cv.notify_all();
    printer.join();
  };
  struct Guard {
    std::function<void()> f;
    ~Guard() { f(); }
  } guard{stop_printer};
  if (args.progress) {
    co.progress = &progress;
    // Quiet for the first second (a quick check prints nothing), then a line redrawn in place.
    printer = std::thread([&, per_host = c.defaults.max_per_host] {
      std::unique_lock lock(progress_mu);
      if (progress_cv.wait_for(lock, std::chrono::seconds(1), [&] { return collected; })) return;
      do {
        err << "\r\033[K" << ProgressLine(progress.Get(), per_host) << std::flush;
      } while (!progress_cv.wait_for(lock, std::chrono::milliseconds(250), [&] { return collected; }));
      err << "\r\033[K" << std::flush;
    });
  }
  CheckReport report = RunCheck(*program, co);
  stop_printer();
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

int Validate(const std::string& config_path, bool discover, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  LoadOptions lo;
  lo.check_secret_refs = true;
  lo.create_key = false;
  lo.discover = discover;  // contacts nothing unless asked
  auto program = LoadProgram(config_path, diags, lo);
  PrintDiagnostics(diags, err);
  if (!program) {
    size_t n = diags.error_count();
    err << config_path << ": " << n << (n == 1 ? " error" : " errors") << "\n";
    return kExitUsage;
  }
  const Config& c = program->config;
  for (const auto& line : DescribeDiscovery(c, program->discovery)) out << line << "\n";
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

}  // namespace drift
