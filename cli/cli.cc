#include "cli/cli.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "collectors/builtin.h"
#include "daemon/daemon.h"
#include "outputs/sink.h"
#include "rules/normalizer.h"

namespace drift {

void PrintDiagnostics(const Diagnostics& diags, std::ostream& err) {
  for (const auto& d : diags.Sorted()) err << d.ToString() << "\n";
}

namespace {

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

// `progress`: read when the command runs (after -q may have turned it off).
Command AddCheck(CLI::App& app, Io& io, const bool& progress) {
  auto o = std::make_shared<CheckArgs>();
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
  check->add_flag("--list-services", o->list_services,
                  "only list the services (listed and discovered), their envs and where each "
                  "came from");
  check->footer(R"(Examples:
  drift check                                  every service in drift.yaml, as a table
  drift check -c deploy/drift.yaml --service lms --env stage
  drift check --format json -o report.json     the report for CI or scripts
  drift check --fail-on critical               fail a pipeline only on critical findings
  drift check --suggest-waivers                ignore entries for today's findings

Exit codes:
  0  no finding at or above --fail-on
  1  findings at or above --fail-on
  2  usage or configuration error (file:line:column: message on stderr)
  3  no such findings, but a source could not be collected (unknown is not drift))");
  return {check, [o, &io, &progress] {
            o->progress = progress;
            return Check(io.config, *o, io.tty, io.out, io.err);
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
  diff->footer(R"(Examples:
  drift diff prod/lms.yml stage/lms.yml
  drift diff --env-a prod --env-b stage --normalize env_tokens prod.env stage.env
  drift diff --format json a.json b.yaml

Exit codes:
  0  the files are the same
  1  they differ
  2  usage error, or a file cannot be read or parsed)");
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
  owners->footer(R"(Examples:
  drift owners                    every service's owner and the source that named it
  drift owners lms --format json
  drift owners --check            in CI: exit 1 while a service has no owner or two)");
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
  history->footer(R"(Examples:
  drift history --finding 9737395ef44b84d8
  drift history --service lms --path settings.FEATURES.ENABLE_X --format json)");
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
  daemon->footer(R"(Examples:
  drift daemon -c /etc/drift/drift.yaml        page, API and /metrics on server.listen
  drift daemon --listen 127.0.0.1:9420 --log-format json
  drift daemon --once                          one full round, then exit
  drift daemon --shard 0/3                     one of three daemons sharing a fleet
Reload: SIGHUP or POST /api/v1/reload (a bad config keeps the old one).)");
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

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, bool tty,
           bool err_tty) {
  CLI::App app{"drift — catch configuration drift between environments", "drift"};
  app.require_subcommand(1);
  const std::string version_text = std::string("drift ") + DRIFT_VERSION + " (C++20, g++ " + __VERSION__ + ")";
  app.set_version_flag("--version", version_text);
  app.footer(R"(Examples:
  drift check                     collect every source once and print the findings
  drift daemon                    keep watching: page, API, /metrics, alerts
  drift <command> --help          options, examples and exit codes of a command)");
  std::string config = "drift.yaml";
  Io io{config, out, err, tty};
  const char* force = std::getenv("DRIFT_PROGRESS");
  bool progress = force && std::string_view(force) == "always" ? true
                  : force && std::string_view(force) == "never" ? false
                                                                : err_tty;
  DaemonOptions dopts;
  std::vector<Command> commands{AddCheck(app, io, progress)};
  auto* validate = app.add_subcommand("validate", "check the config only");
  AddConfig(validate, io);
  auto discover = std::make_shared<bool>(false);
  validate->add_flag("--discover", *discover,
                     "also run the discover: generators and list what each found");
  validate->footer(R"(Examples:
  drift validate -c drift.yaml
  drift validate --discover       also list what each discover: generator finds now
Exit codes: 0 valid (warnings may be printed), 2 errors (file:line:column: message).)");
  commands.push_back(
      {validate, [&io, discover] { return Validate(io.config, *discover, io.out, io.err); }});
  commands.push_back(AddDiff(app, io));
  commands.push_back(AddOwners(app, io));
  commands.push_back(AddHistory(app, io));
  commands.push_back(AddDaemon(app, io, dopts));
  auto* version = app.add_subcommand("version", "version and build info");

  // Every command takes --log-level (-v debug, -q error) and logs to stderr.
  std::string log_level = "info";
  bool verbose = false, quiet = false;
  std::vector<CLI::App*> apps{version};
  for (const Command& c : commands) apps.push_back(c.app);
  for (CLI::App* a : apps) {
    a->add_option("--log-level", log_level, "debug, info, warn or error")
        ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
        ->capture_default_str();
    a->add_flag("-v,--verbose", verbose, "same as --log-level debug");
    a->add_flag("-q,--quiet", quiet, "same as --log-level error");
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
  if (quiet) {
    log_level = "error";
    progress = false;
  }
  SetUpLogging(log_level);
  dopts.log_level = log_level;
  try {
    for (const Command& c : commands)
      if (*c.app) return c.run();
    if (*version) {
      out << version_text << "\n";
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
