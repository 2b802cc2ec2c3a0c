#include "pipeline/program.h"

#include "core/secrets.h"

#include <functional>

#include <algorithm>
#include <filesystem>
#include <map>
#include <future>
#include <span>

#include <nlohmann/json.hpp>

#include "collectors/builtin.h"
#include "collectors/runtime.h"
#include "core/interpolate.h"
#include "core/yaml_reader.h"
#include "state/store.h"

namespace drift {

namespace {

void CheckSecretRefs(const YAML::Node& n, const Placeholders& ph, const Config& config,
                     YamlReader& r) {
  if (n.IsScalar()) {
    for (const auto& ref : SecretRefs(ExpandPlaceholders(n.Scalar(), ph))) {
      if (ref.is_file) {
        std::string p = config.Resolve(ref.name);
        if (!std::filesystem::exists(p))
          r.Warning(n, "secret file " + p + " does not exist here (env " + ph.env + ")");
      } else if (!std::getenv(ref.name.c_str())) {
        r.Warning(n, "environment variable " + ref.name + " is not set here (env " + ph.env + ")");
      }
    }
  } else if (n.IsSequence() || n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it)
      CheckSecretRefs(n.IsMap() ? it->second : *it, ph, config, r);
  }
}

}  // namespace

size_t CheckWorkers(const Config& c) {
  // Blocking collectors (commands, SQL, files) mostly wait: twice the cores, within the
  // collection concurrency.
  return static_cast<size_t>(std::clamp<int>(static_cast<int>(Executor::Cores()) * 2, 2,
                                             c.defaults.max_concurrency));
}

std::string SnapshotHash(const Document& d) {
  if (d.root() == kNoNode) return "absent";  // a Kubernetes object the env does not have
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(ContentHash(d, d.root())));
  return buf;
}

std::string RedactedDocument(const Document& d, const Program& program, const Target& target) {
  constexpr size_t kMaxStoredNodes = 100'000;
  if (d.node_count() > kMaxStoredNodes) return "";
  if (d.root() == kNoNode) return "null";
  const Redactor& redactor = *program.redactor;
  if (target.collector->redact_all())
    return DumpJson(nlohmann::ordered_json(redactor.Fingerprint(d, d.root())));
  Redactor::RuleScope scope;
  StepView source{StepView::Kind::kKey, target.source->name, 0, {}, nullptr, nullptr};
  for (const auto& r : program.rules->rules) {
    if (!r.redact || r.ignore || !r.applies_to_service(target.service->name) ||
        !(r.envs & (EnvSet{1} << target.env)))
      continue;
    if (auto st = r.selector.Step(r.selector.Start(), source))
      scope.selectors.emplace_back(&r.selector, st);
  }
  bool redacted = false;
  return DumpJson(redactor.SnapshotJson(d, scope, redacted));
}

namespace {

// The source of a discovered service in an env where discovery failed: every collection is
// that failure (unknown, never missing).
class FailingCollector final : public Collector {
 public:
  FailingCollector(std::string why, CommonOptions common)
      : Collector(std::move(common)), why_(std::move(why)) {}
  void Start(Runtime&, CollectRequest, Done done) const override { done(MakeError(why_)); }
  std::string describe() const override { return "discovery"; }

 private:
  std::string why_;
};

std::string KeyFilePath(const Config& c) {
  std::string dir = c.dir;
  if (!c.state_path.empty()) {
    auto parent = std::filesystem::path(c.state_path).parent_path().string();
    dir = parent.empty() ? "." : parent;
  }
  return dir + "/drift-fingerprint.key";
}

}  // namespace

std::unique_ptr<Program> LoadProgram(const std::string& path, Diagnostics& diags,
                                     const LoadOptions& options) {
  auto config = LoadConfig(path, diags);
  if (!config) return nullptr;
  auto program = std::make_unique<Program>();
  CheckGenerators(*config, diags);
  // Discovered services join the config before anything reads its services.
  if (options.discover && !config->discover.empty() && !diags.has_errors()) {
    program->discovery = options.found ? *options.found : Discover(*config, options.previous);
    ApplyDiscovery(*config, program->discovery, diags);
    program->discovery_failures = DiscoveryFailures(*config, program->discovery);
  }
  program->config = std::move(*config);
  program->today = options.today;
  const Config& c = program->config;
  program->rules = CompileRules(c, diags, options.today);
  YamlReader reader(c.path, diags);
  {
    Diagnostics ownership_warnings;
    program->ownership = ResolveAllOwnership(c, ownership_warnings);
    program->ownership_warnings = ownership_warnings.Sorted();
  }
  for (const auto& svc : c.services) {
    for (const auto& src : svc.sources) {
      if (src.type.empty()) continue;
      if (!FindCollectorType(src.type)) {  // said once, not once per env
        reader.Error(src.spec["type"], UnknownCollectorType(src.type));
        continue;
      }
      for (const auto& env : svc.envs) {
        SourceContext ctx{c, svc, src, env};
        // Where its generator failed, a discovered service's sources are unknown.
        if (auto u = svc.discovery_unknown.find(env); u != svc.discovery_unknown.end()) {
          CommonOptions every;  // tried again on the source's schedule, like any source
          every.interval = c.defaults.interval;
          every.timeout = c.defaults.timeout;
          program->targets.push_back(Target{&svc, &src, c.env_index(env),
                                            std::make_unique<FailingCollector>(u->second, every)});
          continue;
        }
        auto collector = MakeCollector(ctx, reader);
        if (options.check_secret_refs)
          CheckSecretRefs(src.For(env), Placeholders{env, svc.name, src.name, &c.env_vars(env)}, c,
                          reader);
        if (collector)
          program->targets.push_back(Target{&svc, &src, c.env_index(env), std::move(collector)});
      }
    }
  }
  // Each generator's template, as the service "example": its sources must make collectors.
  for (const auto& d : c.discover) {
    for (const auto& src : d.example.sources) {
      if (src.type.empty()) continue;
      if (!FindCollectorType(src.type)) {
        reader.Error(src.spec["type"], UnknownCollectorType(src.type));
        continue;
      }
      for (const auto& env : d.example.envs) MakeCollector(SourceContext{c, d.example, src, env}, reader);
    }
  }
  if (diags.has_errors()) return nullptr;

  std::string key;
  if (!c.fingerprint_key.empty()) {
    auto k = ResolveSecretRefs(c.fingerprint_key, c.dir);
    if (!k.ok() && options.check_secret_refs) {
      // drift validate runs where the secrets may not be (CI, a laptop): like the other
      // secret references, a warning there.
      diags.Warning(c.fingerprint_key_where, "secrets.fingerprint_key: " + k.error().message);
      key = "validate-only";
    } else if (!k.ok()) {
      diags.Error(c.fingerprint_key_where, "secrets.fingerprint_key: " + k.error().message);
      return nullptr;
    } else {
      key = *k;
    }
  } else if (options.create_key) {
    std::string warning;
    auto k = LoadFingerprintKey("", KeyFilePath(c), warning);
    if (!warning.empty()) program->warnings.push_back(warning);
    key = *k;
  } else {
    key = "validate-only";
  }
  program->redactor = std::make_unique<Redactor>(key);
  return program;
}

namespace {

// One `drift check`, phase by phase: select the targets, collect them, group the snapshots by
// (service, source), evaluate the groups, then record in the state store (or just sort).
class CheckRun {
 public:
  CheckRun(const Program& p, const CheckOptions& options)
      : p_(p), c_(p.config), options_(options),
        own_executor_(options.executor ? nullptr : std::make_unique<Executor>(CheckWorkers(c_))),
        executor_(options.executor ? *options.executor : *own_executor_),
        evaluator_(c_, *p.rules, *p.redactor, p.today) {
    evaluator_.set_executor(&executor_);
    report_.checked_at = FormatTime(options.now);
    report_.baseline = c_.baseline;
    report_.environments = c_.env_names();
  }

  CheckReport Run() {
    Select();
    auto t0 = std::chrono::steady_clock::now();
    Collect();
    auto t1 = std::chrono::steady_clock::now();
    report_.collect_seconds = std::chrono::duration<double>(t1 - t0).count();
    GroupSnapshots();
    Evaluate();
    report_.evaluate_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    // A check limited to some envs does not record (it would resolve the others).
    bool record = !c_.state_path.empty() && options_.envs.empty();
    auto t2 = std::chrono::steady_clock::now();
    std::unique_ptr<Store> store;
    if (record) {
      if (auto opened = Store::Open(c_.state_path); opened.ok()) store = std::move(*opened);
      else report_.warnings.push_back(opened.error().message);
    }
    if (store) {
      RecordAndSort(std::move(store));
    } else {
      SortFindings(report_.findings, report_.environments);
      DateTheRest();
    }
    if (record)
      report_.record_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count();
    std::stable_sort(report_.errors.begin(), report_.errors.end(),
                     [&](const CollectError& a, const CollectError& b) {
                       return std::tie(a.service, a.source) < std::tie(b.service, b.source) ||
                              (std::tie(a.service, a.source) == std::tie(b.service, b.source) &&
                               c_.env_index(a.env) < c_.env_index(b.env));
                     });
    return std::move(report_);
  }

 private:
  struct Group {
    const ServiceConfig* service;
    size_t service_index;
    const SourceConfig* source;
    std::vector<const Document*> docs;  // by env
    bool redact_all = false;
  };

  static bool Wanted(const std::vector<std::string>& filter, const std::string& name) {
    return filter.empty() || std::find(filter.begin(), filter.end(), name) != filter.end();
  }

  void Select() {
    for (const auto& t : p_.targets) {
      if (!Wanted(options_.services, t.service->name)) continue;
      // The baseline is collected whatever envs were asked for: the others compare with it.
      int base = evaluator_.BaselineFor(*t.service);
      if (!Wanted(options_.envs, c_.environments[t.env].name) && t.env != base) continue;
      todo_.push_back(&t);
    }
    report_.sources = todo_.size();
  }

  // Concurrently: every target is independent.
  void Collect() {
    std::vector<const Collector*> collectors;
    for (const Target* t : todo_) collectors.push_back(t->collector.get());
    CheckProgress* progress = options_.progress;
    if (progress) {
      std::vector<std::string> hosts;
      for (const Collector* c : collectors) hosts.push_back(HostOf(c->describe()));
      progress->Start(std::move(hosts));
    }
    Runtime runtime(c_.defaults.max_concurrency, c_.defaults.max_per_host, executor_);
    auto on_done = [progress](size_t i, bool ok) {
      if (progress) progress->Done(i, ok);
    };
    for (auto& r : CollectAll(runtime, collectors, c_.defaults.max_concurrency, on_done))
      results_.push_back(std::move(r));
  }

  void GroupSnapshots() {
    std::map<std::pair<const ServiceConfig*, const SourceConfig*>, size_t> index;
    for (size_t i = 0; i < todo_.size(); ++i) {
      const Target& t = *todo_[i];
      const auto& r = results_[i];
      if (!r.ok()) {
        report_.errors.push_back(CollectError{t.service->name, t.source->name,
                                              c_.environments[t.env].name,
                                              MaskSecretsInText(r.error().ToString())});
        continue;
      }
      for (const auto& w : r.value().warnings())
        report_.warnings.push_back("service " + t.service->name + ", source " + t.source->name +
                                   ", env " + c_.environments[t.env].name + ": " +
                                   MaskSecretsInText(w));
      auto [it, fresh] = index.emplace(std::pair{t.service, t.source}, groups_.size());
      if (fresh)
        groups_.push_back(Group{t.service, static_cast<size_t>(t.service - c_.services.data()),
                                t.source, std::vector<const Document*>(c_.environments.size())});
      Group& g = groups_[it->second];
      g.docs[t.env] = &r.value();
      g.redact_all = g.redact_all || t.collector->redact_all();
    }
    // A generator that failed in an env: unknown, even where it found nothing elsewhere.
    for (const auto& f : p_.discovery_failures) {
      if (!Wanted(options_.envs, f.env)) continue;
      report_.errors.push_back(CollectError{"discover", f.generator, f.env, f.message});
      ++report_.sources;
    }
    report_.sources_failed = report_.errors.size();
  }

  // Every group on the executor; then one list, group i's findings at
  // [offsets_[i], offsets_[i + 1]).
  void Evaluate() {
    std::vector<std::vector<Finding>> per_group(groups_.size());
    executor_.ParallelFor(groups_.size(), [&](size_t i) {
      const Group& g = groups_[i];
      per_group[i] = evaluator_.Evaluate(*g.service, p_.ownership[g.service_index].owner,
                                         g.source->name, g.docs, g.redact_all);
    });
    size_t total = 0;
    for (const auto& fs : per_group) total += fs.size();
    report_.findings.reserve(total);
    offsets_.push_back(0);
    for (auto& fs : per_group) {
      for (auto& f : fs)
        if (Wanted(options_.envs, f.env)) report_.findings.push_back(std::move(f));
      offsets_.push_back(report_.findings.size());
    }
  }

  // Findings the store did not date (no store, or it failed) were first seen now.
  void DateTheRest() {
    for (auto& f : report_.findings)
      if (f.first_seen.empty()) f.first_seen = report_.checked_at;
  }

  // With a state store, first_seen is real: kept from the first time a finding was seen.
  void RecordAndSort(std::unique_ptr<Store> store);

  const Program& p_;
  const Config& c_;
  const CheckOptions& options_;
  std::unique_ptr<Executor> own_executor_;  // when the caller gave none
  Executor& executor_;
  Evaluator evaluator_;
  CheckReport report_;
  std::vector<const Target*> todo_;
  std::vector<Result<Document>> results_;  // by todo_
  std::vector<Group> groups_;
  std::vector<size_t> offsets_;
};

void CheckRun::RecordAndSort(std::unique_ptr<Store> store) {
  // One transaction for the whole check: a commit per evaluation made a large check wait on
  // the disk thousands of times.
  if (auto st = store->Begin(); !st.ok()) report_.warnings.push_back(st.error().message);
  // Everything that does not depend on the rest, at once on every core (tasks are taken in
  // order, the longest first): reading each group's open records (the store's one
  // connection: one task), sorting the report, hashing and redacting the snapshots (each
  // reads every node), and the stored form of every finding, in chunks. None writes what
  // another reads.
  const size_t n = report_.findings.size();
  constexpr size_t kChunk = 2048;
  constexpr size_t kRead = 0, kSort = 1, kRecords = 2;
  const size_t first_chunk = kRecords + todo_.size();
  std::vector<std::optional<OpenFindingRecords>> open(groups_.size());
  std::vector<std::string> plan_warnings;
  std::vector<uint32_t> order;
  std::vector<std::optional<SnapshotRecord>> records(todo_.size());
  std::vector<StoredValues> values(n);
  executor_.ParallelFor(first_chunk + (n + kChunk - 1) / kChunk, [&](size_t task) {
    if (task == kRead) {
      for (size_t i = 0; i < groups_.size(); ++i) {
        auto r = store->ReadOpenFindings(groups_[i].service->name, groups_[i].source->name);
        if (r.ok()) open[i] = std::move(*r);
        else plan_warnings.push_back(r.error().message);
      }
    } else if (task == kSort) {
      order = SortedOrder(report_.findings, report_.environments);
    } else if (task < first_chunk) {
      size_t i = task - kRecords;
      const Target& t = *todo_[i];
      if (!results_[i].ok()) return;
      const Document& d = results_[i].value();
      records[i] = SnapshotRecord{t.service->name, t.source->name, c_.environments[t.env].name,
                                  SnapshotHash(d), RedactedDocument(d, p_, t),
                                  report_.checked_at};
    } else {
      size_t from = (task - first_chunk) * kChunk;
      for (size_t j = from; j < std::min(n, from + kChunk); ++j)
        values[j] = StoredValuesOf(report_.findings[j]);
    }
  });
  // Which findings need a write, and their first_seen (a group whose records could not be
  // read is not recorded: warned above).
  std::vector<FindingPlan> plans;
  for (size_t i = 0; i < groups_.size(); ++i) {
    if (!open[i]) continue;
    const Group& g = groups_[i];
    size_t from = offsets_[i], count = offsets_[i + 1] - offsets_[i];
    plans.push_back(MatchFindings(g.service->name, g.source->name,
                                  ResolvableEnvs(evaluator_, *g.service, g.docs),
                                  std::span<Finding>(report_.findings.data() + from, count),
                                  std::span<StoredValues>(values.data() + from, count), *open[i],
                                  report_.checked_at));
  }
  values = {};
  open = {};
  report_.warnings.insert(report_.warnings.end(), plan_warnings.begin(), plan_warnings.end());
  // The plans point at the findings: follow them to their sorted places.
  std::vector<uint32_t> moved_to(order.size());
  for (uint32_t i = 0; i < order.size(); ++i) moved_to[order[i]] = i;
  ApplyOrder(report_.findings, order);
  DateTheRest();
  Finding* base = report_.findings.data();
  for (auto& plan : plans)
    for (auto& row : plan.rows) row.finding = base + moved_to[row.finding - base];
  // The writes only read the findings, which `drift check` renders meanwhile (it must not
  // change them before FinishRecording).
  auto write = [store = std::move(store), records = std::move(records),
                plans = std::move(plans)]() mutable -> CheckReport::Recorded {
    auto start = std::chrono::steady_clock::now();
    CheckReport::Recorded out;
    for (const auto& rec : records) {
      if (!rec) continue;
      if (auto r = store->RecordSnapshot(*rec); !r.ok()) out.warnings.push_back(r.error().message);
    }
    for (const auto& plan : plans)
      if (auto st = store->ApplyFindings(plan); !st.ok()) out.warnings.push_back(st.error().message);
    if (auto st = store->Commit(); !st.ok()) out.warnings.push_back(st.error().message);
    store.reset();  // closing checkpoints the WAL: part of the work, timed with it
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  };
  if (options_.record_in_background && options_.executor) {
    auto task = std::make_shared<std::packaged_task<CheckReport::Recorded()>>(std::move(write));
    report_.recording = std::make_unique<CheckReport::Recording>();
    report_.recording->done = task->get_future();
    executor_.Post([task] { (*task)(); });
  } else {
    auto r = write();
    report_.warnings.insert(report_.warnings.end(), r.warnings.begin(), r.warnings.end());
  }
}

}  // namespace

CheckReport RunCheck(const Program& p, const CheckOptions& options) {
  return CheckRun(p, options).Run();
}

void CheckProgress::Start(std::vector<std::string> hosts) {
  std::lock_guard lock(mu_);
  hosts_ = std::move(hosts);
  left_.clear();
  done_ = failed_ = 0;
  for (const auto& h : hosts_)
    if (!h.empty()) ++left_[h];
}

void CheckProgress::Done(size_t index, bool ok) {
  std::lock_guard lock(mu_);
  ++done_;
  if (!ok) ++failed_;
  if (index < hosts_.size() && !hosts_[index].empty()) {
    auto it = left_.find(hosts_[index]);
    if (it != left_.end() && --it->second == 0) left_.erase(it);
  }
}

CheckProgress::Snapshot CheckProgress::Get(size_t max_hosts) const {
  std::lock_guard lock(mu_);
  Snapshot s{hosts_.size(), done_, failed_, {}};
  for (const auto& [name, left] : left_) s.busiest.push_back({name, left});
  std::stable_sort(s.busiest.begin(), s.busiest.end(),
                   [](const Host& a, const Host& b) { return a.left > b.left; });
  if (s.busiest.size() > max_hosts) s.busiest.resize(max_hosts);
  return s;
}

std::string HostOf(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  std::string_view proto = url.substr(0, scheme);
  if (proto != "http" && proto != "https") return "";
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  // The port, written or not: the per-host limit is per host and port.
  size_t close = rest.rfind(']');
  size_t colon = rest.rfind(':');
  bool has_port = colon != std::string_view::npos && (close == std::string_view::npos || colon > close);
  return std::string(rest) + (has_port ? "" : proto == "https" ? ":443" : ":80");
}

}  // namespace drift
